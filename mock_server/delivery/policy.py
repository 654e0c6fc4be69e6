"""Which hookUrls are delivered, and when a failed one is tried again.

Pure decisions over `Config.hooks` (a `HookPolicy`): the dispatcher asks `refusal` before the
first attempt (a refused hook is journaled as `refused` and never sent) and `backoff` after each
failure. No state, no I/O beyond what `addresses` needs to name this machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from mock_server.addresses import reaches_this_mock
from mock_server.config import HookPolicy

__all__ = ["backoff", "refusal"]


def refusal(url: str, policy: HookPolicy, own: Iterable[tuple[str, int]]) -> str | None:
    """Why a hook to `url` is not delivered, or None. `own`: where the mock itself listens
    (hooks there are refused unless `allow_self`: they could drive its control API)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "only http and https URLs are delivered"
    allowed = policy.allowed_hosts
    if allowed is not None and host not in allowed:
        return f"host {host!r} is not in the allow-list"
    if not policy.allow_self:
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            return "not a valid URL"
        if reaches_this_mock(host, port, own):
            return (
                f"{host}:{port} is the mock's own address: a hook there could drive its "
                "control API (set hooks.allow_self to deliver it anyway)"
            )
    return None


def backoff(attempt: int, policy: HookPolicy) -> float:
    """Seconds before retry number `attempt`; past the configured list, keep doubling."""
    steps = policy.backoff_seconds or (1.0,)
    if attempt <= len(steps):
        return float(steps[attempt - 1])
    return float(steps[-1] * 2 ** (attempt - len(steps)))
