"""`client`: submit and inspect tasks from a shell, through the same `MidjourneyClient` an app uses.

Exit codes are the contract for scripts: 0 success, 1 a task failed, 2 a usage or API error.
Errors are one line on stderr, never a traceback: the CLI is a tool, and its users need the
cause, not the call stack.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .api import MidjourneyClient
from .errors import AuthenticationError, MidjourneyError
from .models import Task, TaskStatus
from .waiting import DEFAULT_WAIT_TIMEOUT

__all__ = ["CLIENT_KWARGS", "client_group"]

# Tests (or an embedding tool) may pass `obj={CLIENT_KWARGS: {...}}` to add constructor arguments,
# e.g. a fake `sleep` so `--wait` runs against a manual clock.
CLIENT_KWARGS = "client_kwargs"
_OPTIONS = "client.options"
EXIT_OK, EXIT_TASK_FAILED, EXIT_ERROR = 0, 1, 2


@click.group(name="client", context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--api-key",
    metavar="KEY",
    help="API key (default: $MJ_API_KEY, then $MIDJOURNEY_API_KEY).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="API base URL (default: $MJ_BASE_URL, then $MIDJOURNEY_API_BASE_URL, "
    "then https://api.midjourney-api.com).",
)
@click.pass_context
def client_group(ctx: click.Context, api_key: str | None, base_url: str | None) -> None:
    """Talk to midjourney-api.com, or any mock of it, with the reference client."""
    ctx.meta[_OPTIONS] = {"api_key": api_key, "base_url": base_url}


@client_group.command()
@click.argument("prompt")
@click.option("--mode", default="fast", show_default=True, help="fast or relaxed.")
@click.option("--hook-url", metavar="URL", help="URL that gets a POST when the task finishes.")
@click.option("--timeout", type=int, help="The task's time limit on the server, 300-1200 s.")
@click.option("--wait", is_flag=True, help="Poll until the task finishes and print it.")
@click.option(
    "--wait-timeout",
    type=float,
    default=DEFAULT_WAIT_TIMEOUT,
    show_default=True,
    help="Seconds --wait polls before giving up.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def submit(
    ctx: click.Context,
    prompt: str,
    mode: str,
    hook_url: str | None,
    timeout: int | None,
    wait: bool,
    wait_timeout: float,
    as_json: bool,
) -> None:
    """Submit PROMPT; print its task id, or with --wait the finished task."""
    with _reported_errors(ctx), _client(ctx) as api:
        task_id = api.submit(prompt, mode=mode, hook_url=hook_url, timeout=timeout)
        if not wait:
            click.echo(json.dumps({"taskId": task_id}) if as_json else task_id)
            return
        if not as_json:
            click.echo(f"submitted {task_id}, waiting...", err=True)
        task = api.wait(task_id, timeout=wait_timeout, raise_on_failure=False)
        _print_tasks([task], as_json=as_json, single=True)
        if task.status == TaskStatus.FAILED:
            ctx.exit(EXIT_TASK_FAILED)


@client_group.command()
@click.argument("task_ids", metavar="ID...", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def status(ctx: click.Context, task_ids: tuple[str, ...], as_json: bool) -> None:
    """Print the state of each task ID (exit 1 if any failed, 2 if any is unknown)."""
    with _reported_errors(ctx), _client(ctx) as api:
        tasks = api.status(list(task_ids))
        _print_tasks(tasks, as_json=as_json, single=False)
        known = {task.task_id for task in tasks}
        unknown = [task_id for task_id in dict.fromkeys(task_ids) if task_id not in known]
        if unknown:
            click.echo(f"error: unknown task id(s): {', '.join(unknown)}", err=True)
            ctx.exit(EXIT_ERROR)
        if any(task.status == TaskStatus.FAILED for task in tasks):
            ctx.exit(EXIT_TASK_FAILED)


@contextmanager
def _reported_errors(ctx: click.Context) -> Iterator[None]:
    try:
        yield
    except MidjourneyError as error:
        click.echo(f"error: {error}", err=True)
        ctx.exit(EXIT_ERROR)


@contextmanager
def _client(ctx: click.Context) -> Iterator[MidjourneyClient]:
    options: dict[str, Any] = dict(ctx.meta.get(_OPTIONS, {}))
    if isinstance(ctx.obj, dict):
        options.update(ctx.obj.get(CLIENT_KWARGS, {}))
    try:
        api = MidjourneyClient(**options)
    except AuthenticationError:
        raise AuthenticationError(
            "no API key: pass --api-key or set MJ_API_KEY (or MIDJOURNEY_API_KEY)"
        ) from None
    with api:
        yield api


def _print_tasks(tasks: list[Task], *, as_json: bool, single: bool) -> None:
    if as_json:
        raw = [dict(task.raw) for task in tasks]
        click.echo(json.dumps(raw[0] if single else raw, ensure_ascii=False))
        return
    for task in tasks:
        click.echo(_describe(task))
        for url in task.images:
            click.echo(f"  {url}")


def _describe(task: Task) -> str:
    if task.status == TaskStatus.COMPLETED:
        size = f"  {task.width}x{task.height}" if task.width and task.height else ""
        return f"{task.task_id}  completed{size}"
    if task.status == TaskStatus.FAILED:
        return f"{task.task_id}  failed: {task.fail_reason or 'no reason given'}"
    return f"{task.task_id}  in progress"


if __name__ == "__main__":  # pragma: no cover - `python -m client.cli`
    sys.exit(client_group())
