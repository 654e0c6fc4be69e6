"""`mj-mock`: run the mock server (and, later, the client and drift tools) from a shell.

click rather than argparse: repeatable options, environment-variable fallbacks and sub-commands
come for free and behave the way users of other CLIs expect.
"""

from __future__ import annotations

import contextlib
import importlib
import signal
import threading
from typing import Any, ClassVar
from urllib.parse import quote

import click

from mock_server.config import (
    DEV_API_KEY,
    Config,
    ConfigError,
    keys_from_env,
    load_config_file,
    parse_key_spec,
)
from schemas.routes import CONTROL_PREFIX, DASHBOARD_PREFIX

__all__ = ["main"]

REAL_CLOCK_TIME_SCALE = 25.0  # a 30-50 s fast job finishes in 1.2-2 s of wall time


def build_config(
    *,
    config_file: str | None,
    api_keys: tuple[str, ...],
    clock: str | None,
    time_scale: float | None,
    seed: int | None,
    flags: dict[str, Any],
) -> Config:
    """Defaults < config file < MJ_MOCK_API_KEYS < command-line options."""
    values: dict[str, Any] = load_config_file(config_file) if config_file else {}
    env_keys = keys_from_env()
    if env_keys:
        values["api_keys"] = env_keys
    if api_keys:
        values["api_keys"] = dict(parse_key_spec(spec) for spec in api_keys)
    if clock is not None:
        values["clock"] = clock
    values.setdefault("clock", "real")
    if time_scale is not None:
        values["time_scale"] = time_scale
    elif "time_scale" not in values and values["clock"] == "real":
        values["time_scale"] = REAL_CLOCK_TIME_SCALE
    if seed is not None:
        values["seed"] = seed
    flags = dict(flags)
    hook_envelope = flags.pop("hook_envelope", None)
    if hook_envelope is not None:  # `--hook-envelope/--hook-bare` is `hooks.envelope`
        values["hooks"] = {**values.get("hooks", {}), "envelope": hook_envelope}
    values.update({name: value for name, value in flags.items() if value is not None})
    return Config.from_mapping(values)


class _LazyGroup(click.Group):
    """Loads the `client`, `drift` and `proxy` sub-commands (and `requests` with them) only
    when they are used, so `mj-mock serve` starts faster."""

    _lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "client": ("client.cli", "client_group"),
        "drift": ("contract_tests.drift", "drift_command"),
        "proxy": ("contract_tests.proxy", "proxy_command"),
    }

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self._lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module_name, attribute = self._lazy[cmd_name]
            from mock_server import provenance

            if module_name.startswith("client."):
                provenance.check("client")  # a user's own `client` must not stand in for ours
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="midjourney-api-mock")
def main() -> None:
    """An offline fake of the midjourney-api.com API, and tools around it."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="MJ_MOCK_HOST")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="MJ_MOCK_PORT",
    help="TCP port, 0-65535 (0 picks a free one).",
)
@click.option(
    "--api-key",
    "api_keys",
    multiple=True,
    metavar="KEY[:QUOTA]",
    help=f"An account (repeatable); also MJ_MOCK_API_KEYS=k1:10,k2. Default: {DEV_API_KEY}.",
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), envvar="MJ_MOCK_CONFIG")
@click.option("--clock", type=click.Choice(["real", "manual"]), envvar="MJ_MOCK_CLOCK")
@click.option(
    "--time-scale",
    type=float,
    envvar="MJ_MOCK_TIME_SCALE",
    help=f"Model seconds per wall second (real clock default {REAL_CLOCK_TIME_SCALE:g}).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    envvar="MJ_MOCK_SEED",
    help="Seeds ids and durations (default: a random seed, printed at start; reuse it to replay).",
)
@click.option("--image-base-url", help="Base of image URLs (default https://cdn.midjourney.com).")
@click.option("--status-as-string/--status-as-integer", default=None, help="Body status form.")
@click.option("--job-status-envelope/--job-status-bare", default=None)
@click.option("--lenient-modes/--strict-modes", default=None, help="Accept relax/turbo.")
@click.option(
    "--hook-envelope/--hook-bare",
    default=None,
    help='hookUrl body: {"status": 0, "data": item} (default, as the Python guide) or the item.',
)
@click.option(
    "--control/--no-control",
    "control_enabled",
    default=None,
    help="Serve the /__mock control API (default on).",
)
@click.option(
    "--control-token",
    envvar="MJ_MOCK_CONTROL_TOKEN",
    help="Require this token (X-Mock-Token header) on every control call.",
)
@click.option(
    "--allow-host",
    "control_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name the control API answers to besides loopback ones (repeatable; * = any).",
)
@click.option(
    "--state-file",
    type=click.Path(dir_okay=False),
    envvar="MJ_MOCK_STATE_FILE",
    help="Keep keys, balances, tasks and hooks in this SQLite file across restarts; "
    "its stored balances win over --api-key quotas.",
)
@click.option(
    "--cors",
    "cors_origins",
    multiple=True,
    metavar="ORIGIN",
    help="Let browser pages on ORIGIN (repeatable, or *) call the API and the CDN "
    "(never the control API).",
)
@click.option(
    "--journal-size",
    type=click.IntRange(min=0),
    help="Requests the journal (/__mock/requests) keeps; 0 turns it off (default 1000).",
)
@click.option(
    "--scenario",
    "scenario_source",
    metavar="NAME|FILE",
    help="Play a scenario: a name in fixtures/scenarios/ or a JSON (or YAML) file.",
)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(exists=True, file_okay=False),
    help="Answer submit-jobs and job-status as the records in this directory (mj-mock proxy "
    "--record) say, on the mock's clock.",
)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--server",
    "server_name",
    type=click.Choice(["waitress", "granian"]),
    envvar="MJ_MOCK_SERVER",
    help="The HTTP server: waitress (default) or granian (the package's fast extra).",
)
def serve(
    host: str,
    port: int,
    api_keys: tuple[str, ...],
    config_file: str | None,
    clock: str | None,
    time_scale: float | None,
    seed: int | None,
    image_base_url: str | None,
    status_as_string: bool | None,
    job_status_envelope: bool | None,
    lenient_modes: bool | None,
    hook_envelope: bool | None,
    control_enabled: bool | None,
    control_token: str | None,
    control_hosts: tuple[str, ...],
    state_file: str | None,
    cors_origins: tuple[str, ...],
    journal_size: int | None,
    scenario_source: str | None,
    replay_dir: str | None,
    threads: int,
    server_name: str | None,
) -> None:
    """Run the mock server until interrupted."""
    from mock_server.domain.scenario import load_scenario, player_for
    from mock_server.errors import ApiError
    from mock_server.modes import gc_policy
    from mock_server.modes.servers import serve as build_server

    try:
        config = build_config(
            config_file=config_file,
            api_keys=api_keys,
            clock=clock,
            time_scale=time_scale,
            seed=seed,
            flags={
                "image_base_url": image_base_url,
                "status_as_string": status_as_string,
                "job_status_envelope": job_status_envelope,
                "lenient_modes": lenient_modes,
                "hook_envelope": hook_envelope,
                "control_enabled": control_enabled,
                "control_token": control_token,
                "control_hosts": control_hosts or None,
                "state_file": state_file,
                "cors_origins": cors_origins or None,
                "journal_size": journal_size,
                "server": server_name,
            },
        )

        scenario = None if scenario_source is None else load_scenario(scenario_source)
        replay = None
        if replay_dir is not None:
            from mock_server.modes.replay import load_replay

            replay = load_replay(replay_dir, config.clock, config.time_scale)
        server = build_server(
            config,
            host=host,
            port=port,
            threads=threads,
            wrap_app=None if replay is None else replay.wrap,
        )
        if replay is not None:
            server.backend.on_reset(replay.reset)
        if scenario is not None:
            player_for(server.backend).load(scenario)
    except ApiError as exc:  # a scenario that is missing or invalid
        raise click.UsageError(exc.message) from exc
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    except ValueError as exc:  # a replay directory without (readable) records
        raise click.UsageError(f"--replay: {exc}") from exc
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    clock_name = "manual" if config.clock.manual else f"real, time scale {config.time_scale:g}"
    click.echo(f"mj-mock serving {server.url}  (clock: {clock_name}, seed {config.seed})")
    if config.state_file:
        tasks = server.backend.task_count()
        click.echo(f"  state file {config.state_file} ({tasks} tasks; stored balances win)")
    for key in config.api_keys:
        click.echo(f"  API-KEY {key}  quota {server.backend.account(key).balance}")
    if not config.control_enabled:
        click.echo("  control API off")
    elif server.generated_token:
        # Listening beyond loopback: anyone on the network could reset the mock otherwise.
        click.echo(f"  control API at {server.url}/__mock (token required)")
        click.echo(f"  control token (generated, send as X-Mock-Token): {config.control_token}")
    elif config.control_token:
        click.echo(f"  control API at {server.url}/__mock (token required)")
    else:
        click.echo(f"  control API at {server.url}/__mock")
    if config.control_enabled:
        # The page itself is tokenless; it takes the token from this URL into sessionStorage.
        token = f"?token={quote(config.control_token, safe='')}" if config.control_token else ""
        click.echo(f"  dashboard at {server.url}{CONTROL_PREFIX}{DASHBOARD_PREFIX}{token}")
    if replay is not None:
        click.echo(f"  replaying {replay.submits} recorded submits from {replay_dir}")
    if scenario is not None:
        click.echo(f"  scenario {scenario.name} (a reset restarts it)")
    if config.cors_origins:
        click.echo(f"  CORS for {', '.join(config.cors_origins)} (API and CDN)")
    stopped_by = _stop_on_sigterm()
    gc_policy.install()  # this process is the server: its collector is tuned for a growing store
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    if stopped_by:
        click.echo(f"mj-mock: {stopped_by[0]} received, stopped")


def _stop_on_sigterm() -> list[str]:
    """Make SIGTERM (docker stop, systemd, CI teardown) stop the server like Ctrl-C does, so it
    exits 0 with a line saying why instead of dying silently with 143. Returns a list that gets
    the signal's name once one arrives."""
    got: list[str] = []

    def _handler(signum: int, frame: object) -> None:
        got.append(signal.Signals(signum).name)
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _handler)
    return got
