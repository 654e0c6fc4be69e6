"""Calibrate the mock from a live recording: what the real service did, beside the mock's setting.

`mj-mock drift DIR` prints it after the drift report; `mj-mock drift DIR --write-config
mock.toml` writes the settings that make the mock do what the recorded service did, for
`mj-mock serve --config mock.toml` (or `Config.from_mapping`). Two sources:

- the recorded answers: a job-status envelope (`job_status_envelope`), string envelope codes
  (`status_as_string`), `message` on submit answers (`submit_message`), `data` in error bodies
  (`error_data`), fields on completed items that the mock does not send (`extra_item_fields`,
  with the job id and task id turned back into `{jobId}` / `{taskId}`);
- the suite's observations (`observe.py`): unknown and foreign ids (`unknown_ids`). Observations
  the mock has no setting for (item order, how a bad key or a bad body is answered, ...) are
  listed, and written into the file as comments.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import schemas
from mock_server.config import DOCUMENTED_ITEM_FIELDS, Config

from .checks import body_status

__all__ = ["Calibration", "calibrate"]

# Observation name -> (setting, {observed value: setting value}).
_OBSERVED_SETTINGS: dict[str, tuple[str, dict[Any, Any]]] = {
    "unknown ids": ("unknown_ids", {"left out": "omit", "reported": "report"}),
    "another key's ids": ("unknown_ids", {"left out": "omit", "reported": "report"}),
    "submit answers carry message": ("submit_message", {True: True, False: False}),
    "envelope status type": ("status_as_string", {"string": True, "integer": False}),
}
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass
class Finding:
    what: str
    seen: str
    setting: str
    value: Any

    def line(self, default: Any) -> str:
        text = f"{self.what}: {self.seen} -> {self.setting} = {_toml_value(self.value)}"
        if self.value == default:
            return text + " (matches the mock's default)"
        return text + f" (the mock's default is {_toml_value(default)})"


@dataclass
class Calibration:
    findings: list[Finding] = field(default_factory=list)
    extra_item_fields: dict[str, Any] = field(default_factory=dict)
    # Observations without a mock setting: the mock keeps its own decision for them.
    unmatched: list[str] = field(default_factory=list)
    observed: list[str] = field(default_factory=list)

    def settings(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for finding in self.findings:
            found.setdefault(finding.setting, finding.value)
        if self.extra_item_fields:
            found["extra_item_fields"] = dict(self.extra_item_fields)
        return found

    def render(self) -> list[str]:
        defaults = _defaults()
        lines = ["calibration: what the recorded service did, beside the mock's setting"]
        if not self.findings and not self.extra_item_fields:
            lines.append("  (nothing in the recording speaks to a mock setting)")
        for finding in self.findings:
            lines.append("  " + finding.line(defaults.get(finding.setting)))
        for name, value in self.extra_item_fields.items():
            lines.append(
                f"  completed items carry {name!r}, which the mock does not send -> "
                f"extra_item_fields.{name} = {_toml_value(value)}"
            )
        if self.observed:
            lines.append("observations of the live run:")
            lines.extend("  " + line for line in self.observed)
        if self.unmatched:
            lines.append("no mock setting for (the mock keeps its own decision):")
            lines.extend("  " + line for line in self.unmatched)
        return lines

    def toml(self, source: Path) -> str:
        out = [
            f"# Written by `mj-mock drift {source} --write-config`: the mock settings that make",
            "# `mj-mock serve --config THIS_FILE` answer as the recorded service did.",
        ]
        if self.unmatched:
            out.append("# Observed, but the mock has no setting for it (it keeps its decision):")
            out.extend(f"#   {line}" for line in self.unmatched)
        plain = {k: v for k, v in self.settings().items() if k != "extra_item_fields"}
        out.extend(f"{name} = {_toml_value(value)}" for name, value in sorted(plain.items()))
        if self.extra_item_fields:
            out += ["", "[extra_item_fields]"]
            out.extend(
                f"{_toml_key(name)} = {_toml_value(value)}"
                for name, value in sorted(self.extra_item_fields.items())
            )
        return "\n".join(out) + "\n"


def _defaults() -> dict[str, Any]:
    config = Config()
    return {f.name: getattr(config, f.name) for f in fields(Config)}


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=repr)


def _toml_key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    # A JSON string is a TOML basic string: the same quotes and escapes.
    return json.dumps(str(value), ensure_ascii=False)


def _share(counter: Counter[bool], label: str, of: str, setting: str, yes: str, no: str) -> Any:
    """The setting most of the recorded answers speak for; None when none speaks to it."""
    total = sum(counter.values())
    if not total:
        return None
    value = counter[True] * 2 > total
    seen = f"{yes if value else no} in {counter[value]} of {total} {of}"
    return Finding(label, seen, setting, value)


def _template(value: Any, item: Mapping[str, Any]) -> Any:
    """A recorded value as an `extra_item_fields` value: the ids turned back into placeholders."""
    if not isinstance(value, str):
        return value
    for name in ("jobId", "taskId"):
        text = item.get(name)
        if isinstance(text, str) and text:
            value = value.replace(text, "{" + name + "}")
    return value


def _tomlable(value: Any) -> bool:
    return isinstance(value, (str, bool, int, float))


def calibrate(
    records: Iterable[Mapping[str, Any]], observations: Iterable[Mapping[str, Any]]
) -> Calibration:
    result = Calibration()
    envelope: Counter[bool] = Counter()
    as_string: Counter[bool] = Counter()
    message: Counter[bool] = Counter()
    error_data: Counter[bool] = Counter()
    strict = set(schemas.load("task")["$defs"]["completedTask"]["properties"])
    for record in records:
        body = record.get("body")
        if not isinstance(body, Mapping):
            continue
        endpoint = record.get("endpoint")
        ok = 200 <= int(record.get("http_status", 0)) < 300
        code = body_status(body)
        data = body.get("data")
        if endpoint == "job-status" and ok and isinstance(data, list):
            envelope[("status" in body)] += 1
            for item in data:
                if not isinstance(item, Mapping) or body_status(item) != 1:
                    continue
                for name, value in item.items():
                    new = name not in strict and name not in DOCUMENTED_ITEM_FIELDS
                    if new and _tomlable(value) and name not in result.extra_item_fields:
                        result.extra_item_fields[name] = _template(value, item)
        elif endpoint == "submit-jobs" and ok and code == 0:
            as_string[isinstance(body.get("status"), str)] += 1
            message["message" in body] += 1
        elif endpoint in ("submit-jobs", "job-status") and code not in (0, None):
            error_data["data" in body] += 1
    for finding in (
        _share(
            envelope,
            "job-status envelope",
            "job-status answers",
            "job_status_envelope",
            "an envelope",
            "data only",
        ),
        _share(
            as_string,
            "envelope status type",
            "submit answers",
            "status_as_string",
            "a string",
            "an integer",
        ),
        _share(message, "submit message", "submit answers", "submit_message", "present", "absent"),
        _share(error_data, "error data", "error bodies", "error_data", "present", "absent"),
    ):
        if finding is not None:
            result.findings.append(finding)
    for observation in observations:
        name = str(observation.get("observation"))
        value = observation.get("value")
        line = (
            f"{name}: {_shown(value)} (the mock's default: "
            f"{_shown(observation.get('mock_default'))})"
        )
        result.observed.append(line)
        mapped = _OBSERVED_SETTINGS.get(name)
        if mapped is not None and isinstance(value, (str, bool)) and value in mapped[1]:
            setting, values = mapped
            result.findings.append(Finding(name, _shown(value), setting, values[value]))
        elif not observation.get("matches"):
            result.unmatched.append(line)
    return result
