"""Real clients of the API, unchanged, against a real `mj-mock` server.

Plain `requests` code that sends and reads exactly what the provider's Python guide and example
scripts do (CONTRACT.md, "Public clients"): the base URL and key from `MIDJOURNEY_API_BASE_URL`
and `MIDJOURNEY_API_KEY`, a submit with `prompt`, `mode`, `hookUrl` and `timeout` read through
`data.taskId`, a job-status poll with one id read through `res.json()["data"][0]`, and
`job["image"]` once `job["status"] == 1`. The only liberty taken is the guide's
`time.sleep(5)` between polls, which here moves the server's manual clock by 5 seconds, so no
test waits for the lifecycle in wall time.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable

import pytest
import requests
from PIL import Image

from mock_server import MockController
from mock_server.testing.receiver import HookReceiverServer

# Every example prompt of the provider's docs and guides [CONTRACT.md, Prompts], with the grid
# size the mock's documented rule gives it (the docs' own sample: 816x1456 for --ar 9:16).
PROVIDER_PROMPTS = {
    "a boy play with a girl --niji 7": (1024, 1024),  # API reference
    "A cute kitten": (1024, 1024),  # quickstart
    "a futuristic city at sunset --ar 16:9 --niji 7": (1456, 816),  # Python guide
    "a serene mountain lake at dawn --ar 4:3": (1232, 928),  # Python guide
    "a dog play with a boy --niji 6 --ar 9:16": (816, 1456),  # quickstart sample
}


@pytest.fixture
def provider_env(
    mj_server: MockController, mj_api_key: str, monkeypatch: pytest.MonkeyPatch
) -> MockController:
    """What a user of the example scripts does: set a base URL and a key, nothing else."""
    monkeypatch.setenv("MIDJOURNEY_API_BASE_URL", mj_server.base_url)
    monkeypatch.setenv("MIDJOURNEY_API_KEY", mj_api_key)
    return mj_server


# --- the provider's example script and Python guide, as written ------------------------------


def submit_job(prompt: str, hook_url: str) -> str:
    base_url = os.environ["MIDJOURNEY_API_BASE_URL"]
    api_key = os.environ["MIDJOURNEY_API_KEY"]
    res = requests.post(
        f"{base_url}/midjourney/v1/submit-jobs",
        headers={"API-KEY": api_key, "Content-Type": "application/json"},
        json={"prompt": prompt, "mode": "fast", "hookUrl": hook_url, "timeout": 600},
        timeout=30,
    )
    if not 200 <= res.status_code < 300:  # the scripts treat any 2xx as success
        raise RuntimeError(f"submit failed: {res.status_code} {res.text}")
    task_id: str = res.json()["data"]["taskId"]
    return task_id


def wait_for_image(task_id: str, sleep: Callable[[float], object]) -> str:
    base_url = os.environ["MIDJOURNEY_API_BASE_URL"]
    api_key = os.environ["MIDJOURNEY_API_KEY"]
    for _ in range(120):  # the guide loops forever; a test must not
        res = requests.post(
            f"{base_url}/midjourney/v1/job-status",
            headers={"API-KEY": api_key, "Content-Type": "application/json"},
            json={"taskIds": [task_id]},
            timeout=30,
        )
        job = res.json()["data"][0]
        if job["status"] == 1:
            image: str = job["image"]
            return image
        if job["status"] == 2:
            raise RuntimeError(job["failReason"])
        sleep(5)
    raise AssertionError(f"task {task_id} never finished")


def read_hook(body: bytes) -> tuple[str, int]:
    """The provider's example receiver: taskId and status from `body.data`, else the top level."""
    payload = json.loads(body)
    data = payload.get("data") or payload
    return data["taskId"], data["status"]


@pytest.mark.parametrize("prompt", sorted(PROVIDER_PROMPTS))
def test_the_python_guide_runs_unchanged(
    provider_env: MockController, mj_hook_receiver: HookReceiverServer, prompt: str
) -> None:
    task_id = submit_job(prompt, mj_hook_receiver.url)
    image_url = wait_for_image(task_id, sleep=provider_env.advance)

    job_id = provider_env.task(task_id)["jobId"]
    assert image_url == f"{provider_env.base_url}/cdn/{job_id}/grid_0.png"
    png = requests.get(image_url, timeout=30)
    assert png.status_code == 200 and png.headers["Content-Type"] == "image/png"
    width, height = PROVIDER_PROMPTS[prompt]
    assert Image.open(io.BytesIO(png.content)).size == (2 * width, 2 * height)

    (hook,) = mj_hook_receiver.wait_for(1)
    assert read_hook(hook.body) == (task_id, 1)
    assert json.loads(hook.body)["status"] == 0, "the guide's envelope: {'status': 0, 'data': …}"


def test_the_guide_reads_a_failed_task_too(
    provider_env: MockController, mj_hook_receiver: HookReceiverServer
) -> None:
    task_id = submit_job("A cute kitten --p 123123", mj_hook_receiver.url)
    with pytest.raises(RuntimeError, match=r"^Invalid User ID or Personalize Code: ``123123``$"):
        wait_for_image(task_id, sleep=provider_env.advance)
    (hook,) = mj_hook_receiver.wait_for(1)
    assert read_hook(hook.body) == (task_id, 2)


# --- a browser app (Vue/TypeScript style) that appends --niji 7 to whatever the user types -----

BROWSER_USER_PROMPTS = [
    "a cat",
    "a castle on a hill --ar 2:3",
    "a neon street at night --ar 16:9 --hd",
    "ink sketch of a heron --sref 123456789 --sw 200",
    "a fox in the snow --oref https://example.com/fox.png --ow 100",
    "a lighthouse --draft --exp 25 --stylize 250 --chaos 10 --weird 5",
    "a tea house --profile --raw --q 2 --seed 42 --no people",
]


def browser_generate(base_url: str, api_key: str, user_prompt: str) -> dict[str, object]:
    """`fetch()` with a JSON string body, as a browser sends it, then the poll on status 1."""
    headers = {
        "API-KEY": api_key,
        "Content-Type": "application/json",
        "Accept": "application/json, text/plain, */*",
        "Origin": "http://localhost:5173",
    }
    body = json.dumps({"prompt": f"{user_prompt} --niji 7", "mode": "fast"})
    submitted = requests.post(
        f"{base_url}/midjourney/v1/submit-jobs", data=body, headers=headers, timeout=30
    ).json()
    assert submitted["status"] == 0, submitted  # `status === 0` in TypeScript
    return {"taskId": submitted["data"]["taskId"], "headers": headers}


def test_a_browser_app_appending_niji_7_completes_every_prompt(
    mj_server: MockController, mj_api_key: str
) -> None:
    started = [browser_generate(mj_server.base_url, mj_api_key, p) for p in BROWSER_USER_PROMPTS]
    mj_server.advance(60)
    for job, user_prompt in zip(started, BROWSER_USER_PROMPTS, strict=True):
        item = requests.post(
            f"{mj_server.base_url}/midjourney/v1/job-status",
            data=json.dumps({"taskIds": [job["taskId"]]}),
            headers=job["headers"],  # type: ignore[arg-type]
            timeout=30,
        ).json()["data"][0]
        assert item["status"] == 1, (user_prompt, item.get("failReason"))  # `status === 1`
        assert item["prompt"] == f"{user_prompt} --niji 7"
        assert len(item["images"]) == 4 and item["image"].endswith("/grid_0.png")
