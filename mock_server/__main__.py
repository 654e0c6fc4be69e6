"""`python -m mock_server ...` is `mj-mock ...`, for when the script is not on PATH."""

from __future__ import annotations

from mock_server.cli import main

if __name__ == "__main__":
    main(prog_name="mj-mock")
