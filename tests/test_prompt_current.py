"""Today's Midjourney prompts complete: the tables cover V7, V8, V8.1 and Niji 7, are settings,
and a failure caused by a table names the setting that allows the value."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_server import Config, ManualClock
from mock_server.config import load_config_file
from mock_server.domain.lifecycle import MidjourneyBackend, SubmitRequest
from mock_server.domain.prompt import parse_prompt
from mock_server.domain.prompt_tables import PromptRules
from mock_server.records import TaskStatus

# CONTRACT.md, "Prompts": every example prompt of the provider's docs and guides.
PROVIDER_PROMPTS = [
    ("a boy play with a girl --niji 7", 1024, 1024),
    ("A cute kitten", 1024, 1024),
    ("a futuristic city at sunset --ar 16:9 --niji 7", 1456, 816),
    ("a serene mountain lake at dawn --ar 4:3", 1232, 928),
    ("a dog play with a boy --niji 6 --ar 9:16", 816, 1456),
]


@pytest.mark.parametrize(("prompt", "width", "height"), PROVIDER_PROMPTS)
def test_every_provider_example_prompt_completes(prompt: str, width: int, height: int) -> None:
    backend = MidjourneyBackend(Config(api_keys={"k": 100}, clock=ManualClock(), seed=1))
    task = backend.submit("k", SubmitRequest(prompt=prompt))
    backend.advance(60)
    done = backend.get_task(task.task_id)
    assert (done.status, done.fail_reason) == (TaskStatus.COMPLETED, None)
    assert (done.width, done.height, done.mj_prompt) == (width, height, prompt)


# One prompt per model and per parameter a Midjourney user can send today.
CURRENT_PROMPTS = [
    *(f"a cat --v {v}" for v in ["1", "4", "5.2", "6", "6.1", "7", "7.0", "8", "8.0", "8.1"]),
    *(f"a cat --niji {n}" for n in ["4", "5", "6", "7"]),
    "a cat --niji",
    "a cat --v",
    "a cat --v 8.1 --hd",
    "a cat --niji 7 --hd --ar 3:2",
    "a cat --sref 1234567 --sw 250",
    "a cat --sref random",
    "a cat --sref https://example.com/a.png --sv 4",
    "a cat --oref https://example.com/b.png --ow 400",
    "a cat --cref https://example.com/c.png --cw 50",
    "a cat --exp 50",
    "a cat --draft",
    "a cat --profile",
    "a cat --p",
    "a cat --raw",
    "a cat --style raw --stylize 1000 --weird 3000 --chaos 100",
    "a cat --q 4 --seed 0 --no dogs, birds",
    "a cat --tile --iw 2 --stop 50",
    "a cat --repeat 4 --relax",
    "a cat --fast",
    "a cat --turbo",
    "a cat --video --motion high --loop",
    "a cat --aspect 21:9 --version 8.1 --s 100 --c 5 --w 10 --r 2",
    "a cat \u2014ar 16:9 \u2014niji 7",  # phones turn -- into an em dash
]


@pytest.mark.parametrize("prompt", CURRENT_PROMPTS)
def test_todays_prompts_do_not_fail(prompt: str) -> None:
    assert parse_prompt(prompt).failure is None


@pytest.mark.parametrize(
    ("prompt", "reason"),
    [
        ("a cat --ar 0:1", "Invalid aspect ratio: ``0:1``"),
        (
            "a cat --chaos 101",
            "Invalid value for --chaos: ``101`` (expected an integer from 0 to 100)",
        ),
        ("a cat --p 123123", "Invalid User ID or Personalize Code: ``123123``"),
        ("a gore scene --niji 7", "Banned prompt detected: ``gore``"),
    ],
)
def test_what_midjourney_really_rejects_still_fails(prompt: str, reason: str) -> None:
    assert parse_prompt(prompt).failure == reason


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("a cat --hd", (2048, 2048)),
        ("a cat --ar 16:9 --hd", (2912, 1632)),
        ("a cat --hd --ar 9:16 --niji 7", (1632, 2912)),
        ("a cat --ar 2:1 --v 8.1 --hd", (3072, 1536)),
        ("a cat --v 8.1", (1024, 1024)),
        ("a cat --v 8 --ar 4:3", (1232, 928)),
        ("a cat --niji 7 --ar 3:4", (928, 1232)),
    ],
)
def test_sizes_new_models_share_the_grid_table_and_hd_doubles_it(
    prompt: str, size: tuple[int, int]
) -> None:
    parsed = parse_prompt(prompt)
    assert (parsed.width, parsed.height) == size


@pytest.mark.parametrize(
    ("prompt", "setting"),
    [
        ("a cat --v 9", "prompt_rules.versions"),
        ("a cat --niji 8", "prompt_rules.niji_versions"),
        ("a cat --style glossy", "prompt_rules.styles"),
        ("a cat --newthing 3", "prompt_rules.extra_parameters"),
    ],
)
def test_a_failure_caused_by_a_table_names_its_setting(prompt: str, setting: str) -> None:
    reason = parse_prompt(prompt).failure
    assert reason is not None and setting in reason


def test_the_tables_are_settings_of_a_config_file(tmp_path: Path) -> None:
    file = tmp_path / "mock.toml"
    file.write_text(
        "[mock.prompt_rules]\n"
        'versions = ["7", "8", "8.1", 9]\n'
        'niji_versions = ["7", "8"]\n'
        'styles = ["raw", "glossy"]\n'
        'extra_parameters = ["--newthing"]\n'
        "ranges = { stylize = [0, 2000] }\n"
    )
    rules = Config.from_mapping(load_config_file(file)).prompt_rules
    for prompt in [
        "a cat --v 9",
        "a cat --niji 8",
        "a cat --style GLOSSY",
        "a cat --newthing",
        "a cat --newthing with words",
        "a cat --stylize 2000 --chaos 100",
    ]:
        assert parse_prompt(prompt, rules).failure is None, prompt
    assert parse_prompt("a cat --v 6", rules).failure == (
        "Invalid value for --v: ``6`` (expected one of 7, 8, 8.1, 9; "
        "add it to prompt_rules.versions if Midjourney accepts it)"
    )
    assert parse_prompt("a cat --chaos 101", rules).failure is not None  # ranges merge


def test_the_default_tables_hold_todays_models() -> None:
    rules = PromptRules()
    assert {"7", "8", "8.1"} <= set(rules.versions) and "7" in rules.niji_versions
    assert Config().prompt_rules == rules
