"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright for Python.

A real server (MockServer on a free loopback port, with a control token and the default
`image_base_url` of the real CDN, so the thumbnails prove the rewrite to the mock's own route) is
watched by the page while the test drives the API: tasks appear, the buttons act through the
control API, images load, and a `<script>` prompt stays text.

Chromium comes from Debian (`.ci/install-browser` installs it); Playwright's own browser download
is never used. Without the `playwright` package or a Chromium binary these tests skip, saying
which. `MJ_CHROMIUM` points at another binary; `MJ_UPDATE_SCREENSHOT=1` rewrites
`docs/dashboard.png`, the README's screenshot.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from mock_server import Config, ManualClock
from mock_server.modes.server import MockServer
from mock_server.testing.controller import MockController, http_transport
from mock_server.testing.receiver import HookReceiverServer

sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="playwright is not installed (it is in the test extra: pip install -e '.[test]')",
)
expect = sync_api.expect

CHROMIUM = os.environ.get("MJ_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"no Chromium at {CHROMIUM}: run .ci/install-browser (Debian's chromium package) "
        "or set MJ_CHROMIUM",
        allow_module_level=True,
    )

KEY = "browser-key"
TOKEN = "dash-token"
SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "dashboard.png"
EVIL = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> a cat'
WAIT_MS = 8000  # the page polls every 1.5 s; a slow shared CI machine gets some slack


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    config = Config(
        api_keys={KEY: 1000}, clock=ManualClock(start=1_766_900_000.0), seed=5, control_token=TOKEN
    )
    with MockServer(config, port=0) as running:
        yield running


@pytest.fixture
def mj(server: MockServer) -> Iterator[MockController]:
    controller = MockController(
        http_transport(server.url, token=TOKEN), base_url=server.url, api_key=KEY
    )
    controller.reset()
    yield controller
    controller.reset()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    opened = context.new_page()
    opened.set_default_timeout(WAIT_MS)
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text}")
            # A missing request journal (404) is logged by Chromium itself; the page handles it.
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield opened
    context.close()
    assert problems == []  # no script error, no CSP violation


def _submit(mj: MockController, prompt: str, **fields: Any) -> str:
    response = requests.post(
        f"{mj.base_url}/midjourney/v1/submit-jobs",
        json={"prompt": prompt, **fields},
        headers={"API-KEY": KEY},
        timeout=10,
    )
    body = response.json()
    assert body["status"] == 0, body
    task_id: str = body["data"]["taskId"]
    return task_id


def _row(page: Any, task_id: str) -> Any:
    return page.locator(f'tr.task[data-task-id="{task_id}"]')


def _images_loaded(page: Any, task_id: str) -> list[int]:
    """naturalWidth of each thumbnail of the task, once every one has finished loading."""
    selector = f'tr.task[data-task-id="{task_id}"] img.thumb'
    page.wait_for_function(
        "sel => { const imgs = [...document.querySelectorAll(sel)];"
        " return imgs.length > 0 && imgs.every(img => img.complete); }",
        arg=selector,
    )
    widths: list[int] = page.eval_on_selector_all(selector, "imgs => imgs.map(i => i.naturalWidth)")
    return widths


def test_a_task_appears_completes_shows_its_images_and_a_script_prompt_stays_text(
    server: MockServer, mj: MockController, page: Any
) -> None:
    page.goto(f"{server.url}/__mock/ui?token={TOKEN}")
    # The token moved into sessionStorage and out of the address bar (and the history entry).
    assert page.url == f"{server.url}/__mock/ui"
    fox = _submit(mj, "a red fox --ar 16:9")
    evil = _submit(mj, EVIL)

    row = _row(page, fox)
    expect(row).to_be_visible()
    expect(row.get_by_test_id("state")).to_have_text("in progress")
    row.get_by_role("button", name="Complete").click()
    expect(row.get_by_test_id("state")).to_have_text("completed")
    assert mj.task(fox)["status"] == 1

    # Four thumbnails, really decoded: naturalWidth is the task's grid width (1456 for 16:9).
    # The task's own URLs point at the real CDN; the page shows the mock's copies.
    real = mj.task(fox)["item"]["images"]
    assert all(url.startswith("https://cdn.midjourney.com/") for url in real)
    # Then the 2x2 grid `image`, twice the size in each direction (2912 wide for 16:9).
    expect(row.locator("img.thumb")).to_have_count(5)
    expect(row.locator("img.thumb.grid")).to_have_count(1)
    assert _images_loaded(page, fox) == [1456] * 4 + [2912]
    assert mj.task(fox)["width"] == 1456
    sources = row.locator("img.thumb").evaluate_all("imgs => imgs.map(i => i.src)")
    assert all(src.startswith(f"{server.url}/__mock/ui/images/") for src in sources), sources

    # The prompt is shown as the characters it is, and none of it ran or became markup.
    evil_row = _row(page, evil)
    expect(evil_row.locator("td.prompt")).to_have_text(EVIL)
    assert page.evaluate("window.__pwned") is None
    assert page.locator("#tasks-body script").count() == 0
    assert page.locator("#tasks-body img:not(.thumb)").count() == 0

    # Newest first: the evil task (submitted second) is the first row.
    assert page.locator("tr.task").first.get_attribute("data-task-id") == evil
    expect(page.locator('#keys-body tr[data-key="browser-key"] td').nth(1)).to_have_text("996")

    # A reload keeps working: the token is in this tab's sessionStorage.
    page.reload()
    expect(_row(page, fox).get_by_test_id("state")).to_have_text("completed")


def test_without_a_token_the_page_asks_for_it(
    server: MockServer, mj: MockController, page: Any
) -> None:
    task_id = _submit(mj, "a quiet lake")
    page.goto(f"{server.url}/__mock/ui")
    expect(page.locator("#token-form")).to_be_visible()
    expect(_row(page, task_id)).to_have_count(0)
    page.fill("#token-input", TOKEN)
    page.click("#token-form button[type=submit]")
    expect(_row(page, task_id)).to_be_visible()
    expect(page.locator("#token-form")).to_be_hidden()


def test_the_buttons_drive_the_control_api(
    server: MockServer, mj: MockController, page: Any, tmp_path: Path
) -> None:
    with HookReceiverServer() as receiver:
        hooked = _submit(mj, "a lighthouse at dusk --ar 3:2", hookUrl=receiver.url)
        doomed = _submit(mj, "an owl --ar 2:3")
        # Company for the screenshot: a prompt Midjourney rejects, a slow one, markup.
        _submit(mj, "a cat --p 123123")
        _submit(mj, "a misty forest, watercolor --ar 4:3", mode="relaxed")
        _submit(mj, EVIL)
        page.goto(f"{server.url}/__mock/ui?token={TOKEN}")
        expect(_row(page, doomed)).to_be_visible()

        # Fail, with a reason that is markup: it is stored and shown as text, and refunded.
        page.fill("#fail-reason", "<b>moderation</b>")
        _row(page, doomed).get_by_role("button", name="Fail").click()
        expect(_row(page, doomed).get_by_test_id("state")).to_have_text("failed")
        expect(_row(page, doomed).locator("td.reason")).to_have_text("<b>moderation</b>")
        assert mj.task(doomed)["failReason"] == "<b>moderation</b>"
        expect(page.locator(f'#keys-body tr[data-key="{KEY}"] td').nth(3)).to_have_text("2")

        # Advance the clock: the hooked task finishes on its planned time and its hook is sent.
        before = mj.now()
        page.get_by_role("button", name="+60 s").click()
        expect(_row(page, hooked).get_by_test_id("state")).to_have_text("completed")
        assert mj.now() == pytest.approx(before + 60)
        receiver.wait_for(1)
        delivered = page.locator('tr.hook[data-outcome="delivered"]')
        expect(delivered).to_have_count(1)
        delivered.get_by_role("button", name="Redeliver").click()
        assert [hook.task_id for hook in receiver.wait_for(2)] == [hooked, hooked]
        expect(page.locator("tr.hook")).to_have_count(2)
        assert [attempt["outcome"] for attempt in mj.hooks] == ["delivered", "delivered"]

        # Faults: add one through the form, see it listed, clear it.
        page.select_option("#fault-kind", "status")
        page.select_option("#fault-status", "429")
        page.select_option("#fault-endpoint", "job-status")
        page.fill("#fault-count", "2")
        page.get_by_role("button", name="Add fault").click()
        expect(page.locator("#faults-body tr[data-fault-id]")).to_have_count(1)
        faults = mj.faults
        assert [(f["kind"], f["status"], f["endpoint"], f["remaining"]) for f in faults] == [
            ("status", 429, "job-status", 2)
        ]
        # Watching the page used none of it (thumbnails do not go through the CDN's faults).
        page.screenshot(path=str(_screenshot_path(tmp_path)), full_page=True)
        page.get_by_role("button", name="Clear faults").click()
        expect(page.locator("#faults-body tr[data-fault-id]")).to_have_count(0)
        assert mj.faults == []

        # Top up a key, create another.
        quota = mj.quota()
        page.locator(f'#keys-body tr[data-key="{KEY}"]').get_by_role("button", name="+100").click()
        expect(page.locator(f'#keys-body tr[data-key="{KEY}"] td').nth(1)).to_have_text(
            str(quota + 100)
        )
        assert mj.quota() == quota + 100
        page.fill("#key-name", "trial")
        page.fill("#key-quota", "10")
        page.get_by_role("button", name="Set quota").click()
        expect(page.locator('#keys-body tr[data-key="trial"]')).to_be_visible()
        assert mj.quota("trial") == 10

        # Reset takes two clicks.
        page.get_by_role("button", name="Reset").click()
        page.get_by_role("button", name="Really reset?").click()
        expect(page.locator("tr.task")).to_have_count(0)
        assert mj.tasks == []


def test_the_request_journal_pane_says_whether_this_build_has_one(
    server: MockServer, mj: MockController, page: Any
) -> None:
    answered = requests.get(
        f"{server.url}/__mock/requests", headers={"X-Mock-Token": TOKEN}, timeout=10
    ).status_code
    _submit(mj, "a journaled request")
    page.goto(f"{server.url}/__mock/ui?token={TOKEN}")
    page.locator("#requests-details summary").click()
    if answered == 200:  # a build with the request journal (GET /__mock/requests)
        expect(page.locator("#requests-pane table")).to_contain_text("submit-jobs")
    else:
        expect(page.locator("#requests-pane")).to_have_text("not available in this build")


def _screenshot_path(tmp_path: Path) -> Path:
    """The README's screenshot when asked to update it, else a throwaway file."""
    if os.environ.get("MJ_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        return SCREENSHOT
    return tmp_path / "dashboard.png"
