"""Signing in to the web app: throttled per account and per address, hashed off the event loop.

Gradio awaits the login check on the server's event loop, so a password hash computed there
(~50 ms of scrypt) stalls every page of every user while it runs; a burst of bad logins did
exactly that. Here the hash runs in a small pool of its own, one attempt at a time per client
address, and an account or an address that failed too often is refused for a while without
hashing at all. An address where the account signed in before is spared the account's lockout,
so a stranger guessing someone's password doesn't lock the owner out of their usual desk.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from fastapi import HTTPException

from ui.auth import UserStore

# The address of the request being served, set by ui.sessions.WebGuard (uvicorn puts the
# proxy's X-Forwarded-For there when the proxy is trusted: FORWARDED_ALLOW_IPS).
CLIENT_ADDRESS: contextvars.ContextVar[str] = contextvars.ContextVar("tierwise_client_address", default="unknown")


@dataclass(frozen=True)
class LoginRules:
    """How many failed sign-ins, within which window, lock an account or an address, and for how long."""
    account_failures: int = 5
    address_failures: int = 20
    window_seconds: float = 15 * 60
    lockout_seconds: float = 15 * 60
    hash_workers: int = 2
    tracked: int = 10_000   # accounts and addresses remembered; the oldest are forgotten first


class LoginThrottle:
    """Failed attempts per account and per address, with the lockouts they lead to."""

    def __init__(self, rules: LoginRules = LoginRules(), *, clock: Callable[[], float] = time.monotonic):
        self.rules, self.clock = rules, clock
        self._failures: dict[str, OrderedDict[str, deque]] = {"account": OrderedDict(), "address": OrderedDict()}
        self._locked: dict[str, dict[str, float]] = {"account": {}, "address": {}}
        self._trusted: OrderedDict[tuple[str, str], float] = OrderedDict()  # (account, address) that signed in
        self._lock = threading.Lock()

    def refusal(self, account: str, address: str) -> tuple[str, float] | None:
        """Why this attempt is refused without checking the password and for how many seconds more,
        or None when it may go ahead."""
        now = self.clock()
        with self._lock:
            until = self._locked["address"].get(address, 0.0)
            if until > now:
                return f"Too many failed sign-ins from your address; try again in {_minutes(until - now)}.", until - now
            until = self._locked["account"].get(account, 0.0)
            if until > now and (account, address) not in self._trusted:
                return (f"Too many failed sign-ins for '{account}'; try again in {_minutes(until - now)}, "
                        "or ask your Tierwise admin.", until - now)
        return None

    def failed(self, account: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for kind, key, limit in (("account", account, self.rules.account_failures),
                                     ("address", address, self.rules.address_failures)):
                events = self._remember(self._failures[kind], key, deque)
                events.append(now)
                while events and events[0] <= now - self.rules.window_seconds:
                    events.popleft()
                if len(events) >= limit:
                    self._locked[kind][key] = now + self.rules.lockout_seconds
                    events.clear()
            for kind in ("account", "address"):
                locked = self._locked[kind]
                if len(locked) > self.rules.tracked:
                    for key in [k for k, until in locked.items() if until <= now]:
                        del locked[key]

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            self._failures["account"].pop(account, None)
            self._remember(self._trusted, (account, address), self.clock)

    def _remember(self, table: OrderedDict, key, make):
        """table[key], made if missing; the table keeps the `tracked` most recent keys."""
        if key in table:
            table.move_to_end(key)
        else:
            table[key] = make()
            while len(table) > self.rules.tracked:
                table.popitem(last=False)
        return table[key]


def _minutes(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    return "a minute" if minutes <= 1 else f"{minutes} minutes"


class SignIn:
    """The login check Gradio awaits: throttle, then the password hash in a pool off the event loop."""

    def __init__(self, users: UserStore, rules: LoginRules = LoginRules()):
        self.users = users
        self.throttle = LoginThrottle(rules)
        self._pool = ThreadPoolExecutor(max_workers=rules.hash_workers, thread_name_prefix="tierwise-login")
        self._queues: dict[str, tuple[asyncio.Lock, list[int]]] = {}  # address -> (lock, [attempts waiting])

    async def verify(self, username: str, password: str) -> bool:
        address = CLIENT_ADDRESS.get()
        self._check(username, address)
        # one attempt at a time per address: a parallel burst queues behind itself, not in front of others
        lock, waiting = self._queues.setdefault(address, (asyncio.Lock(), [0]))
        waiting[0] += 1
        try:
            async with lock:
                self._check(username, address)  # a burst's later attempts meet the lockout its first ones set
                ok = await asyncio.get_running_loop().run_in_executor(self._pool, self.users.verify, username, password)
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                self._queues.pop(address, None)
        if ok:
            self.throttle.succeeded(username, address)
        else:
            self.throttle.failed(username, address)
        return ok

    def _check(self, username: str, address: str) -> None:
        refusal = self.throttle.refusal(username, address)
        if refusal:
            sentence, seconds = refusal
            # 400 is what Gradio's login form shows as a failed sign-in; API clients read the sentence
            raise HTTPException(status_code=400, detail=sentence, headers={"Retry-After": str(math.ceil(seconds))})

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
