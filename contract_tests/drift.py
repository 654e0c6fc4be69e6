"""The drift report: responses recorded by `pytest contract_tests --mj-record DIR` vs `schemas/`.

```sh
mj-mock drift DIR            # exit 0: no drift; 1: drift found; 2: nothing readable in DIR
```

It reports, aggregated over every record (list indexes folded to `[]`):

- answers that break the consumer layer (what a client may rely on): the provider broke the
  documented contract;
- against the strict layer (the mock's exact output): fields the schemas don't know (a new
  field on the provider's side);
- types that differ (a number that became a string);
- any other schema violation (a missing field, a wrong count);
- statuses the schemas don't know (a task status 3, a new body error code in an HTTP 200);
- documented statuses never seen in the recording: a coverage note, not drift, unless
  `--require-all-statuses` (a budget-2 run may well never see a 1002).

Each record is judged by the same rule the suite used live (`checks.acceptable_schemas`).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

import schemas
from schemas.recording import load_observations, load_records

from .calibrate import calibrate
from .checks import acceptable_schemas, body_status
from .schema_walk import walk

__all__ = ["DriftReport", "analyse", "analyse_records", "drift_command"]

TASK_STATUSES = {0: "in progress", 1: "completed", 2: "failed"}  # [doc]
SUBMIT_STATUSES = {0: "success", 1001: "quota not enough", 1002: "concurrency limit"}  # [doc]
KINDS = {
    "consumer": "answers a client cannot rely on (the consumer layer, schemas/consumer/)",
    "unknown-field": "fields the schemas don't know",
    "type": "types that differ",
    "violation": "other schema violations",
    "unknown-status": "statuses the schemas don't know",
    "not-json": "answers that are not JSON",
}
_INDEX = re.compile(r"\[\d+\]")
_SHOWN_FILES = 3
_COVERED_BY_WALK = {"unknown-field": "is not an allowed field", "type": " is not of type "}


@dataclass
class DriftReport:
    directory: Path
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    findings: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    task_statuses: set[int] = field(default_factory=set)
    submit_statuses: set[int] = field(default_factory=set)

    @property
    def responses(self) -> int:
        return sum(self.counts.values())

    @property
    def drift(self) -> bool:
        return bool(self.findings)

    def never_seen(self) -> list[str]:
        missing = [
            f"task status {code} ({name})"
            for code, name in TASK_STATUSES.items()
            if code not in self.task_statuses
        ]
        missing += [
            f"submit-jobs status {code} ({name})"
            for code, name in SUBMIT_STATUSES.items()
            if code not in self.submit_statuses
        ]
        return missing

    def add(self, kind: str, detail: str, source: str) -> None:
        files = self.findings[(kind, detail)]
        if source not in files:
            files.append(source)

    def as_dict(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "responses": dict(self.counts),
            "drift": self.drift,
            "findings": [
                {"kind": kind, "detail": detail, "count": len(files), "files": files}
                for (kind, detail), files in sorted(self.findings.items())
            ],
            "statuses_seen": {
                "task": sorted(self.task_statuses),
                "submit-jobs": sorted(self.submit_statuses),
            },
            "never_seen": self.never_seen(),
        }

    def render(self) -> str:
        parts = ", ".join(f"{name} {count}" for name, count in sorted(self.counts.items()))
        lines = [f"mj drift: {self.responses} responses in {self.directory} ({parts})"]
        for kind, title in KINDS.items():
            found = sorted((d, f) for (k, d), f in self.findings.items() if k == kind)
            if not found:
                continue
            lines.append(f"{title}:")
            for detail, files in found:
                shown = ", ".join(files[:_SHOWN_FILES])
                more = f" and {len(files) - _SHOWN_FILES} more" if len(files) > _SHOWN_FILES else ""
                lines.append(f"  {detail}  ({len(files)} responses: {shown}{more})")
        never = self.never_seen()
        if never:
            lines.append("statuses never seen (not checked by this recording): " + "; ".join(never))
        if self.drift:
            lines.append(
                f"DRIFT: {len(self.findings)} difference(s) between the responses and schemas/"
            )
        else:
            lines.append("no drift: every response matches schemas/")
        return "\n".join(lines)


# -- the report --------------------------------------------------------------------------------


def _statuses(
    report: DriftReport, endpoint: str, http_status: int, body: object, source: str
) -> None:
    ok = 200 <= http_status < 300
    items: list[object] = []
    if endpoint == "job-status" and ok and isinstance(body, Mapping):
        data = body.get("data")
        items = list(data) if isinstance(data, list) else []
    elif endpoint == "hook" and isinstance(body, Mapping):
        data = body.get("data")
        items = [data if isinstance(data, Mapping) else body]
    for item in items:
        code = body_status(item)
        if code is None:
            continue
        report.task_statuses.add(code)
        if code not in TASK_STATUSES:
            report.add("unknown-status", f"{endpoint} task status {code}", source)
    if endpoint == "submit-jobs" and ok:
        code = body_status(body)
        if code is not None:
            report.submit_statuses.add(code)
            if code not in SUBMIT_STATUSES:
                report.add("unknown-status", f"submit-jobs body status {code} in HTTP 200", source)


def _check(report: DriftReport, record: Mapping[str, Any], source: str) -> None:
    endpoint = str(record.get("endpoint"))
    http_status = int(record.get("http_status", 0))
    report.counts[endpoint] += 1
    if not record.get("is_json", True):
        report.add("not-json", f"{endpoint} HTTP {http_status}", source)
        return
    body = record.get("body")
    _statuses(report, endpoint, http_status, body, source)
    names = acceptable_schemas(endpoint, http_status, body)
    consumer = [schemas.errors(name, body, "consumer") for name in names]
    if all(consumer):
        for name, messages in zip(names, consumer, strict=True):
            for message in messages:
                detail = f"{endpoint} (HTTP {http_status}) vs {name}: " + _INDEX.sub("[]", message)
                report.add("consumer", detail, source)
    for name in names:
        messages = schemas.errors(name, body)
        if not messages:
            return
        walked = walk(body, schemas.validator(name).schema)
        prefix = f"{endpoint} (HTTP {http_status}) "
        for kind, detail in walked:
            report.add(kind, prefix + detail, source)
        kinds = {kind for kind, _ in walked}
        for message in messages:
            if any(k in kinds and text in message for k, text in _COVERED_BY_WALK.items()):
                continue
            report.add("violation", prefix + f"vs {name}: " + _INDEX.sub("[]", message), source)


def analyse_records(
    directory: Path, records: Iterable[tuple[Path, Mapping[str, Any]]]
) -> DriftReport:
    report = DriftReport(directory)
    for path, record in records:
        _check(report, record, path.name)
    return report


def analyse(directory: Path) -> DriftReport:
    """Compare every record in `directory` with the schemas; ValueError if there are none."""
    records = load_records(directory)
    if not records:
        raise ValueError(f"no recorded responses (*.json) in {directory}")
    return analyse_records(directory, records)


class _NothingToCompare(click.ClickException):
    exit_code = 2


@click.command("drift")
@click.argument(
    "directory", type=click.Path(exists=True, file_okay=False, dir_okay=True, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--require-all-statuses",
    is_flag=True,
    help="Also fail when a documented status (task 0/1/2, submit 0/1001/1002) was never seen.",
)
@click.option(
    "--write-config",
    "config_out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the mock settings that match what the recorded service did (TOML, for "
    "`mj-mock serve --config`).",
)
def drift_command(
    directory: Path, as_json: bool, require_all_statuses: bool, config_out: Path | None
) -> None:
    """Compare responses recorded by `pytest contract_tests --mj-record DIR` with schemas/,
    and print every observation of the run beside the mock's setting.

    Exit status 0 when they agree, 1 when the provider drifted from the schemas (or, with
    --require-all-statuses, a documented status never showed up), 2 when DIR holds no records.
    """
    try:
        report = analyse(directory)
        records = [record for _, record in load_records(directory)]
    except ValueError as exc:
        raise _NothingToCompare(str(exc)) from exc
    calibration = calibrate(records, load_observations(directory))
    if as_json:
        found = {**report.as_dict(), "calibration": calibration.settings()}
        found["observations"] = calibration.observed
        click.echo(json.dumps(found, indent=2, sort_keys=True))
    else:
        click.echo(report.render())
        click.echo("\n".join(calibration.render()))
    if config_out is not None:
        config_out.write_text(calibration.toml(directory), encoding="utf-8")
        if not as_json:
            click.echo(f"wrote the calibrated mock settings to {config_out}")
    if report.drift or (require_all_statuses and report.never_seen()):
        click.get_current_context().exit(1)
