"""Fixtures of the contract suite. The plugin (options, gates, budget) is loaded from here.

- `target`: the `Target` under test: `mj_mock` / `mj_server` of the mock's pytest plugin, fresh
  for every test, or one `live` target for the whole run.
- `control`: the mock's `MockController` (tests using it are marked `needs_control`).
- `completed_task`, `failed_task`: a finished task of each kind. On live each is submitted once
  per run and shared, so together they cost two jobs: the default budget.
- `second_key`, `drained_key`, `hook_site`: what some checks need from the target; each skips
  with a reason on live when the run was not given one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

# Plain modules get pytest's assertion messages only when registered before their import.
pytest.register_assert_rewrite("contract_tests.expect", "contract_tests.target")

from mock_server.testing.controller import MockController  # noqa: E402
from schemas.recording import Recorder  # noqa: E402

from .budget import JobBudget  # noqa: E402
from .observe import Observations  # noqa: E402
from .options import (  # noqa: E402
    BUDGET_KEY,
    OBSERVATIONS_KEY,
    OPTIONS_KEY,
    RECORDER_KEY,
    SuiteOptions,
)
from .target import FinishedTask, HookSite, Target  # noqa: E402

pytest_plugins = ("contract_tests.plugin",)

# The documented sample prompt [doc]: its grid is 816x1456 in the docs' own job-status sample.
COMPLETED_PROMPT = "a dog play with a boy --niji 6 --ar 9:16"
# The docs' failReason sample is this personalize code [doc].
FAILED_PROMPT = "A cute kitten --p 123123"
SECOND_KEY = "contract-second-key"
DRAINED_KEY = "contract-drained-key"


@pytest.fixture(scope="session")
def suite(pytestconfig: pytest.Config) -> SuiteOptions:
    return pytestconfig.stash[OPTIONS_KEY]


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> JobBudget:
    return pytestconfig.stash[BUDGET_KEY]


@pytest.fixture(scope="session")
def recorder(pytestconfig: pytest.Config) -> Recorder | None:
    return pytestconfig.stash[RECORDER_KEY]


@pytest.fixture(scope="session")
def observations(pytestconfig: pytest.Config) -> Observations:
    return pytestconfig.stash[OBSERVATIONS_KEY]


@pytest.fixture(scope="session")
def live_hook_site(suite: SuiteOptions) -> Iterator[HookSite | None]:
    if not suite.live or suite.hook_listen is None:
        yield None
        return
    from mock_server.testing.receiver import HookReceiverServer

    host, port = suite.hook_listen
    with HookReceiverServer(host, port) as receiver:
        yield HookSite(receiver, suite.hook_url)


@pytest.fixture(scope="session")
def live_target(
    suite: SuiteOptions,
    budget: JobBudget,
    recorder: Recorder | None,
    live_hook_site: HookSite | None,
    observations: Observations,
) -> Iterator[Target]:
    assert suite.api_key, "the plugin skips live tests without a key"
    target = Target(
        "live",
        base_url=suite.base_url,
        api_key=suite.api_key,
        suite=suite,
        budget=budget,
        recorder=recorder,
        live_hook_site=live_hook_site,
        observations=observations,
    )
    yield target
    target.close()


@pytest.fixture
def target(
    request: pytest.FixtureRequest,
    suite: SuiteOptions,
    budget: JobBudget,
    recorder: Recorder | None,
    observations: Observations,
) -> Iterator[Target]:
    if suite.live:
        live: Target = request.getfixturevalue("live_target")
        yield live
        return
    # The mock's own pytest plugin: in-process (no socket) or a real server on loopback.
    control = request.getfixturevalue("mj_mock" if suite.target == "inprocess" else "mj_server")
    mock = Target(
        suite.target,
        base_url=control.base_url,
        api_key=control.api_key,
        suite=suite,
        budget=budget,
        recorder=recorder,
        control=control,
        observations=observations,
    )
    yield mock
    mock.close()


@pytest.fixture
def control(target: Target) -> MockController:
    assert target.control is not None, "mark the test needs_control"
    return target.control


def _shared_finished_task(target: Target, name: str, prompt: str) -> FinishedTask:
    """One finished task per run and name, shared by every test that needs one (budget)."""

    def make() -> FinishedTask:
        hook = target.live_hook_site.url if target.live_hook_site is not None else None
        return target.run_task(prompt, hook_url=hook, mode="fast")

    return target.shared_task(name, make)


@pytest.fixture
def completed_task(target: Target) -> FinishedTask:
    return _shared_finished_task(target, "completed", COMPLETED_PROMPT)


@pytest.fixture
def failed_task(target: Target) -> FinishedTask:
    return _shared_finished_task(target, "failed", FAILED_PROMPT)


@pytest.fixture
def second_key(target: Target, suite: SuiteOptions) -> str:
    """Another account: created through control on a mock, MJ_API_KEY_2 on live."""
    if target.control is not None:
        target.control.add_key(SECOND_KEY, 1000)
        return SECOND_KEY
    if not suite.api_key_2:
        pytest.skip("needs a second API key on live: set MJ_API_KEY_2 or pass --mj-api-key-2")
    return suite.api_key_2


@pytest.fixture
def drained_key(target: Target, suite: SuiteOptions) -> str:
    """An account with no quota: made through control on a mock, MJ_EMPTY_API_KEY on live."""
    if target.control is not None:
        target.control.add_key(DRAINED_KEY, 0)
        return DRAINED_KEY
    if not suite.empty_api_key:
        pytest.skip(
            "needs a key with no quota left on live: set MJ_EMPTY_API_KEY or pass "
            "--mj-empty-api-key"
        )
    return suite.empty_api_key


@pytest.fixture
def hook_site(request: pytest.FixtureRequest, target: Target) -> HookSite:
    """A receiver the target can reach: the mock plugin's loopback receiver, or on live the
    suite's own one (`--mj-hook-listen`)."""
    if target.control is not None:
        return HookSite(request.getfixturevalue("mj_hook_receiver"))
    if target.live_hook_site is None:
        pytest.skip(
            "no hook receiver the live target can reach: pass --mj-hook-listen HOST:PORT "
            "(and --mj-hook-url URL when it is reached through a tunnel)"
        )
    return target.live_hook_site
