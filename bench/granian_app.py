"""mj-mock under granian, for bench/run.py's server comparison (not a supported way to run it).

    granian --interface wsgi --workers 1 --blocking-threads 8 --host 127.0.0.1 --port PORT \\
        granian_app:app          # from bench/, with MJ_MOCK_CONFIG=bench/mock.toml

One worker process, so every request sees the same backend; the same FastPath in front of the
same Flask app as `MockServer`, and the same Ticker applying due outcomes on wall time.
"""

from __future__ import annotations

import os

from mock_server.cli import build_config
from mock_server.compose import create_app
from mock_server.domain.lifecycle import MidjourneyBackend
from mock_server.domain.timeline import Ticker
from mock_server.web.fastpath import FastPath

# As `mj-mock serve --config` builds it (real clock at the serve command's time scale).
_config = build_config(
    config_file=os.environ["MJ_MOCK_CONFIG"],
    api_keys=(),
    clock=None,
    time_scale=None,
    seed=None,
    flags={},
)
_backend = MidjourneyBackend(_config)
app = FastPath(create_app(backend=_backend), _backend)
_ticker = Ticker(_backend)
_ticker.start()
