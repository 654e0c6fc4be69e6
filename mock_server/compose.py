"""The composition root: one function builds a mock, for every mode, from one `Config`.

`build_mock(config)` makes the backend (its store chosen by `config.state_file`), hook delivery
attached to it, the Flask app over it, the WSGI entry (the fast path in front of the app) and,
on a real clock, the ticker that settles due tasks; `start()` and `stop()` run and release all
of it. Nothing else in the package wires these parts together, so the modes cannot drift apart.

The modes differ only in transport and delivery:

- **server** (`modes.server.MockServer`): waitress in front of `mock.wsgi`; hooks go out on
  background per-receiver lanes (`delivery="lanes"`), so no request thread waits on a receiver.
- **in-process** (`modes.inprocess.mock_midjourney`): `responses` and respx in front of the same
  app; hooks are sent inline (`delivery="inline"`) inside `advance`, in task order, through the
  in-process sender, which makes delivery deterministic.
- **bare app** (`create_app`): the app alone, for a WSGI host or a Flask test client. Inline
  delivery over HTTP and no ticker, so there is no thread to stop: tasks settle whenever a
  request arrives. For background delivery and a ticker, use `build_mock(...).start()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mock_server.config import Config
from mock_server.delivery.dispatcher import HookDispatcher
from mock_server.delivery.sender import HookSender
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.domain.timeline import Deliveries, Ticker
from mock_server.web.app import build_app
from mock_server.web.fastpath import FastPath

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["Delivery", "Mock", "build_mock", "create_app"]

Delivery = Literal["lanes", "inline"]


@dataclass
class Mock:
    """One assembled mock: what a mode puts its transport in front of."""

    backend: MidjourneyBackend
    deliveries: Deliveries
    app: Flask
    wsgi: FastPath
    ticker: Ticker | None
    owns_backend: bool
    owns_deliveries: bool
    _started: bool = field(default=False, repr=False)

    @property
    def config(self) -> Config:
        return self.backend.config

    def start(self) -> Mock:
        """Start the ticker (a real clock); a manual clock's time moves only in `advance`."""
        if self.ticker is not None and not self._started:
            self.ticker.start()
        self._started = True
        return self

    def stop(self) -> None:
        """Stop the ticker and the delivery lanes we started; close the backend's store if it
        is ours (a state file's lock, so the next mock can open it)."""
        if self.ticker is not None:
            self.ticker.stop()
        if self.owns_deliveries:
            self.deliveries.close()
        if self.owns_backend:
            self.backend.close()


def build_mock(
    config: Config | None = None,
    *,
    backend: MidjourneyBackend | None = None,
    delivery: Delivery = "lanes",
    sender: HookSender | None = None,
) -> Mock:
    """A mock for `config` (or over an existing `backend`, which keeps its own delivery if it
    has one). `delivery`: background lanes (server) or inline sending (in-process, bare app);
    `sender`: how a hook POST is sent (default: over HTTP)."""
    owns_backend = backend is None
    if backend is None:
        backend = MidjourneyBackend(config)
    deliveries = backend.hooks
    owns_deliveries = deliveries is None
    if deliveries is None:
        deliveries = HookDispatcher(backend, sender=sender, synchronous=delivery == "inline")
    app = build_app(backend)
    ticker = None if backend.clock.manual or delivery == "inline" else Ticker(backend)
    return Mock(
        backend=backend,
        deliveries=deliveries,
        app=app,
        wsgi=FastPath(app, backend),
        ticker=ticker,
        owns_backend=owns_backend,
        owns_deliveries=owns_deliveries,
    )


def create_app(config: Config | None = None, backend: MidjourneyBackend | None = None) -> Flask:
    """The bare app over `backend` (made from `config` if not given): inline hook delivery, no
    ticker, nothing to stop (see the module docstring)."""
    return build_mock(config, backend=backend, delivery="inline").app
