"""The two OpenAPI documents, built from `schemas/`: `provider.build` (midjourney-api.com alone),
`mock.build_mock` (plus the mock's own routes), both from the pieces in `components`."""
