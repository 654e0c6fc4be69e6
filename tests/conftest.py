"""Shared fixtures for the unit tests: a backend on a manual clock and a Flask test client."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from mock_server import Config, ManualClock, MidjourneyBackend, create_app

from .support import KEY, OTHER_KEY, Post


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_766_900_000.0)


@pytest.fixture
def config(clock: ManualClock) -> Config:
    return Config(api_keys={KEY: 1000, OTHER_KEY: 1000}, clock=clock, seed=7)


@pytest.fixture
def backend(config: Config) -> MidjourneyBackend:
    return MidjourneyBackend(config)


@pytest.fixture
def http(backend: MidjourneyBackend) -> FlaskClient:
    return create_app(backend=backend).test_client()


@pytest.fixture
def post(http: FlaskClient) -> Post:
    """POST JSON with the test key unless told otherwise (`key=None` sends no API-KEY)."""

    def _post(path: str, body: Any = None, *, key: str | None = KEY, **kwargs: Any) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        if key is not None:
            headers["API-KEY"] = key
        if "data" not in kwargs:
            kwargs["json"] = body
        return http.post(path, headers=headers, **kwargs)

    return _post
