"""The quota ledger: accounts, what a task costs, who may submit, refunds.

Functions over a `Store`, called by the backend with its lock held (and, for the writes that
must land together with a task, inside its store transaction), so the rules about money are in
one short module and concurrent submits cannot oversell quota. The config is passed on each
call, not kept: a running mock's settings may change.
"""

from __future__ import annotations

import hmac

from mock_server.config import Config, key_problem
from mock_server.errors import ConcurrencyLimit, InvalidRequest, QuotaNotEnough, Unauthorized
from mock_server.records import Account, Task, TaskStatus
from mock_server.storage.store import Store

__all__ = [
    "InProgress",
    "admit",
    "authenticate",
    "charge",
    "refund",
    "seed_accounts",
    "set_balance",
]


def authenticate(store: Store, api_key: str | None) -> str:
    """The account's key, or Unauthorized: one lookup by key (a dict, or SQLite's primary
    key), so 20k keys cost what one does. A hash lookup leaks no more about other keys than
    the constant-time scan it replaces did in practice; the final compare is constant-time."""
    if not api_key:
        raise Unauthorized("missing API-KEY header")
    account = store.get_account(api_key)
    given = api_key.encode("utf-8", "surrogateescape")
    if account is None or not hmac.compare_digest(account.key.encode("utf-8"), given):
        raise Unauthorized("invalid API-KEY")
    return account.key


def set_balance(store: Store, key: str, quota: int) -> Account:
    """Create an account, or set an existing one's balance (a top-up or a drain)."""
    if not key or quota < 0:
        raise InvalidRequest("key must be non-empty and quota >= 0")
    problem = key_problem(key)
    if problem is not None:
        raise InvalidRequest(f"key {key[:100]!r}: {problem}")
    account = store.get_account(key) or Account(key=key, balance=0)
    account.balance = quota
    store.save_account(account)
    return account


def seed_accounts(
    store: Store, config: Config, known: set[str] | frozenset[str] = frozenset()
) -> None:
    """Add the configured keys the store does not know yet, with their configured quota."""
    for key, quota in config.api_keys.items():
        if key not in known:
            store.save_account(Account(key=key, balance=quota))


class InProgress:
    """The unfinished tasks of each key (the 1002 limit counts them)."""

    def __init__(self) -> None:
        self._by_key: dict[str, set[str]] = {}

    def count(self, key: str) -> int:
        return len(self._by_key.get(key, ()))

    def add(self, task: Task) -> None:
        self._by_key.setdefault(task.api_key, set()).add(task.task_id)

    def discard(self, task: Task) -> None:
        self._by_key.get(task.api_key, set()).discard(task.task_id)

    def clear(self) -> None:
        self._by_key.clear()


def admit(store: Store, config: Config, running: InProgress, api_key: str, mode: str) -> Account:
    """The account that may pay for one more `mode` task now, or the refusal: 401, 1001, 1002.
    [decision] An empty wallet is the more lasting condition, so 1001 wins over 1002."""
    account = store.get_account(api_key)
    if account is None:
        raise Unauthorized("invalid API-KEY")
    cost = config.mode_costs.get(mode, 0)
    if account.balance < cost:
        raise QuotaNotEnough(
            f"quota not enough: this {mode} task costs {cost}, balance is {account.balance}"
        )
    if running.count(api_key) >= config.max_in_progress:
        raise ConcurrencyLimit(
            f"concurrency limit: {config.max_in_progress} tasks already in progress"
        )
    return account


def charge(store: Store, account: Account, cost: int) -> None:
    """Take a task's cost (inside the transaction that stores the task)."""
    account.balance -= cost
    account.charged += cost
    store.save_account(account)


def refund(store: Store, config: Config, task: Task) -> None:
    """Give a failed task's cost back, once, when `refund_failed` says so (inside the
    transaction that saves the finished task)."""
    if task.status != TaskStatus.FAILED or not config.refund_failed or task.refunded:
        return
    account = store.get_account(task.api_key)
    if account is not None:
        account.balance += task.cost
        account.refunded += task.cost
        store.save_account(account)
    task.refunded = True
