"""Development tools of a checkout: generators that write committed files. Not in the wheel.

``python -m tools.build_openapi`` rebuilds ``schemas/openapi.yaml`` and
``schemas/openapi-mock.yaml`` from the schema files and ``schemas.routes`` (``--check`` in CI);
``tools/openapi/`` holds the pieces of the two documents. A test asserts the wheel leaves this
folder out, as it leaves out ``tests/`` and ``bench/``.
"""
