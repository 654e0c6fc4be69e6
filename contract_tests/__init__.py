"""The contract suite: one pytest + Hypothesis suite for the mock and for the live API.

```sh
pytest contract_tests --mj-target inprocess            # the mock, in-process (the default)
pytest contract_tests --mj-target server               # the mock, as a real HTTP server
MJ_API_KEY=... pytest contract_tests --mj-target live  # any server at --mj-base-url; 2 jobs
```

Installed from a wheel, run it with `pytest -p contract_tests.plugin --pyargs contract_tests ...`.
`contract_tests/README.md` explains the targets, the options and the job budget;
`contract_tests.drift` compares recorded responses (`--mj-record DIR`) with `schemas/`.
"""

from __future__ import annotations

from mock_server import provenance

provenance.check("client")

TARGETS: tuple[str, ...] = ("inprocess", "server", "live")

__all__ = ["TARGETS"]
