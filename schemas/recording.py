"""The record format: one JSON file per answer, key scrubbed (`--mj-record DIR`, the proxy).

It lives here, below both its writers (the contract suite, the recording proxy) and its readers
(`mj-mock drift`, and the mock's own replay mode, `mock_server/modes/replay.py`), so the mock
does not import the suite to read a recording.

A record holds what the drift report needs (endpoint, HTTP status, Content-Type, the body) and
the request body for context; request headers are never written, and every configured API key
is replaced by `***` wherever it appears, so a record directory is safe to attach to a bug report.
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["OBSERVATION_SUFFIX", "RECORD_VERSION", "Recorder", "load_observations", "load_records"]

RECORD_VERSION = 1
SCRUBBED = "***"
# Observations of [decision]s (see `observe.py`) sit beside the records, in files of their own.
OBSERVATION_SUFFIX = ".observation.json"


class Recorder:
    def __init__(self, directory: Path, secrets: Iterable[str | None]) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._count = itertools.count(1)
        self._lock = threading.Lock()
        self._prefix = f"{int(time.time() * 1000)}-{os.getpid()}-{uuid.uuid4().hex[:6]}"

    def add_secret(self, secret: str) -> None:
        """Scrub `secret` too from now on (the proxy learns keys as callers send them)."""
        with self._lock:
            if secret and secret not in self._secrets:
                self._secrets = sorted({*self._secrets, secret}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, SCRUBBED)
        return text

    def record(
        self,
        *,
        endpoint: str,
        target: str,
        method: str,
        path: str,
        http_status: int,
        content_type: str | None,
        body: Any,
        text: str | None,
        request_body: Any,
        recorded_at: float | None = None,
    ) -> Path:
        """`recorded_at` (epoch seconds) defaults to now; the proxy passes its clock's time."""
        record = {
            "version": RECORD_VERSION,
            "target": target,
            "endpoint": endpoint,
            "method": method,
            "path": path,
            "http_status": http_status,
            "content_type": content_type,
            "is_json": text is None,
            "body": body,
            "text": text,
            "request_body": request_body,
            "recorded_at": int((time.time() if recorded_at is None else recorded_at) * 1000),
        }
        serialized = self.scrub(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True))
        with self._lock:
            number = next(self._count)
        name = f"{self._prefix}-{number:05d}-{endpoint}-{http_status}.json"
        path_out = self.directory / name
        path_out.write_text(serialized + "\n", encoding="utf-8")
        return path_out

    def record_observation(self, observation: dict[str, Any]) -> Path:
        serialized = self.scrub(
            json.dumps({"version": RECORD_VERSION, **observation}, indent=2, sort_keys=True)
        )
        with self._lock:
            number = next(self._count)
        path_out = self.directory / f"{self._prefix}-{number:05d}{OBSERVATION_SUFFIX}"
        path_out.write_text(serialized + "\n", encoding="utf-8")
        return path_out


def load_observations(directory: Path) -> list[dict[str, Any]]:
    """The observations a live run wrote beside its records, in the order they were made."""
    found: list[dict[str, Any]] = []
    for path in sorted(directory.glob(f"*{OBSERVATION_SUFFIX}")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and "observation" in data:
            found.append(data)
    return found


def load_records(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every record file in `directory` (sorted by name); files that are not records raise."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in sorted(directory.glob("*.json")):
        if path.name.endswith(OBSERVATION_SUFFIX):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path.name}: not a readable JSON record ({exc})") from exc
        if not isinstance(data, dict) or "endpoint" not in data or "http_status" not in data:
            raise ValueError(f"{path.name}: not a contract-suite record")
        found.append((path, data))
    return found
