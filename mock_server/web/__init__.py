"""The HTTP face of the mock: one route table, thin handlers, one renderer, middleware.

`routes` binds every path (all written in `schemas/routes.py`); `provider`, `control`, `cdn` and
`dashboard` are the handlers; `wire` renders every shape on the wire, errors included.
"""
