"""Which HTTP server serves a config: [decision] `Config.server` names it, waitress unless told.

`mj-mock serve`, the pytest plugin's `mj_server` and `mock_server.serve` all choose here, so a
config file or `MJ_MOCK_SERVER` that says granian is served by granian whichever way the mock is
started. `MockServer` itself is waitress's and refuses a config naming another server (it used to
serve it on waitress without a word).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mock_server.config import Config, ConfigError
from mock_server.modes.server import MockServer

if TYPE_CHECKING:
    from mock_server.modes.granian_server import GranianMockServer

__all__ = ["serve", "server_class"]


def server_class(name: str) -> type[MockServer] | type[GranianMockServer]:
    """The class of server `name` ("waitress" or "granian"); granian's needs the `fast` extra."""
    if name == "waitress":
        return MockServer
    if name != "granian":
        raise ConfigError(f"server must be waitress or granian, got {name!r}")
    try:
        from mock_server.modes.granian_server import GranianMockServer
    except ImportError as exc:
        raise ConfigError(
            f"server granian: {exc}; pip install 'midjourney-api-mock[fast]'"
        ) from exc
    return GranianMockServer


def serve(config: Config | None = None, **options: Any) -> MockServer | GranianMockServer:
    """The server `config.server` names for `config`, built and bound but not started; the
    `options` are those both servers take (`host`, `port`, `threads`, `backend`, `wrap_app`,
    `serve_images`, ...). `with serve(config, port=0) as server:` starts and stops it."""
    backend = options.get("backend")
    settings = backend.config if backend is not None else (config or Config())
    server: MockServer | GranianMockServer = server_class(settings.server)(config, **options)
    return server
