"""Observations: what the suite saw of a [decision], held to the mock's setting only on a mock.

CONTRACT.md tags every fact [doc] or [decision]. A [doc] fact is asserted on every target; a
[decision] is the mock's choice where the provider is silent, so on live it is *observed*:
recorded (`--mj-record`), printed in the run summary beside the mock's default, and never a
failure. On a mock target `observe` asserts, so the mock still keeps its own decisions.

The plugin makes every contract test say which it is (`@pytest.mark.doc` or
`@pytest.mark.decision("name")`), and on live turns a failed assertion inside a decision test
into an observation, so a new test cannot hold the real service to a mock decision by accident.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from schemas.recording import Recorder

__all__ = ["Observation", "Observations", "Observer", "observe"]


def _shown(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=repr)


@dataclass(frozen=True)
class Observation:
    name: str
    value: Any
    mock_default: Any
    test: str = ""

    @property
    def matches(self) -> bool:
        return bool(self.value == self.mock_default)

    def line(self) -> str:
        if self.matches:
            return f"{self.name}: {_shown(self.value)} — matches the mock's default"
        return (
            f"{self.name}: {_shown(self.value)} — the mock's default is {_shown(self.mock_default)}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "observation": self.name,
            "value": self.value,
            "mock_default": self.mock_default,
            "matches": self.matches,
            "test": self.test,
        }


class Observations:
    """Every observation of the run (one per name and value), written to the recording."""

    def __init__(self, recorder: Recorder | None) -> None:
        self.recorder = recorder
        self.items: list[Observation] = []
        self.current_test = ""
        # Tests that observed something themselves: the plugin adds nothing for them.
        self.touched: set[str] = set()

    def add(self, name: str, value: Any, mock_default: Any) -> Observation:
        self.touched.add(self.current_test)
        found = Observation(name, value, mock_default, self.current_test)
        for seen in self.items:
            if seen.name == name and seen.value == value:
                return seen
        self.items.append(found)
        if self.recorder is not None:
            self.recorder.record_observation(found.as_dict())
        return found

    def names(self) -> set[str]:
        return {item.name for item in self.items}

    def lines(self) -> list[str]:
        return [item.line() for item in sorted(self.items, key=lambda o: (o.name, _shown(o.value)))]


class Observer(Protocol):
    """What `observe` needs of a target (a `Target` is one): this module stays below target.py,
    which holds an `Observations`."""

    @property
    def is_mock(self) -> bool: ...

    @property
    def observations(self) -> Observations: ...


def observe(target: Observer, name: str, value: Any, mock_default: Any) -> None:
    """A [decision] seen on `target`: asserted equal to `mock_default` on a mock target, and
    recorded (never a failure) on live."""
    if target.is_mock:
        assert value == mock_default, (
            f"[decision] {name}: the mock gave {_shown(value)}, its default is "
            f"{_shown(mock_default)}"
        )
        return
    target.observations.add(name, value, mock_default)
