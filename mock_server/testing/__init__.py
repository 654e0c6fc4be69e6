"""Helpers for tests: the control-API client, a hook receiver, the pytest plugin."""
