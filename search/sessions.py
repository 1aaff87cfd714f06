"""Browser sessions: a signed cookie carrying who is logged in and the form (CSRF) token.

The cookie is HMAC-SHA256 signed with the server's secret (UNIFY_SECRET_KEY), HttpOnly and
SameSite=Strict; every form posts the session's CSRF token back and is refused without it.
Roles are not in the cookie: they are looked up on every request, so disabling an account or
changing a role takes effect at the next refresh.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import defaultdict, deque

from config.settings import setting

COOKIE = "unify_session"
LIFETIME_SECONDS = 12 * 3600  # one working day


def secret_key(value: str | None = None) -> tuple[bytes, bool]:
    """The signing key from the argument or UNIFY_SECRET_KEY; else a random one (True: generated)."""
    value = value or setting("secret_key")
    if value:
        return value.encode("utf-8"), False
    return secrets.token_bytes(32), True


class Sessions:
    def __init__(self, key: bytes):
        self._key = key

    def new(self, username: str | None = None) -> dict:
        return {"u": username, "csrf": secrets.token_urlsafe(24), "exp": int(time.time()) + LIFETIME_SECONDS}

    def dump(self, session: dict) -> str:
        data = base64.urlsafe_b64encode(json.dumps(session, separators=(",", ":")).encode()).decode().rstrip("=")
        return f"{data}.{self._sign(data)}"

    def load(self, cookie: str | None) -> dict | None:
        """The session in a cookie, or None when it is missing, forged or expired."""
        if not cookie or cookie.count(".") != 1:
            return None
        data, signature = cookie.split(".")
        if not hmac.compare_digest(signature.encode(), self._sign(data).encode()):
            return None
        try:
            session = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
        except ValueError:
            return None
        if not isinstance(session, dict) or not isinstance(session.get("exp"), int) or session["exp"] < time.time():
            return None
        return session

    def _sign(self, data: str) -> str:
        return hmac.new(self._key, data.encode(), hashlib.sha256).hexdigest()


def csrf_matches(session: dict | None, token: str | None) -> bool:
    # bytes: compare_digest refuses non-ASCII text, and a forged token may be anything
    return bool(
        session
        and token
        and isinstance(session.get("csrf"), str)
        and hmac.compare_digest(session["csrf"].encode(), token.encode())
    )


class LoginThrottle:
    """Slows password guessing: after MAX_FAILURES failed logins for a name within WINDOW seconds,
    that name is refused until the oldest failure leaves the window."""

    MAX_FAILURES = 5
    WINDOW = 300.0
    MAX_TRACKED = 10_000  # names tried; beyond it, names whose failures have aged out are forgotten

    def __init__(self):
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()  # logins arrive on several worker threads

    def blocked(self, username: str) -> bool:
        with self._lock:
            failures = self._failures.get(username, ())
            return sum(1 for at in failures if at >= time.monotonic() - self.WINDOW) >= self.MAX_FAILURES

    def failed(self, username: str) -> None:
        with self._lock:
            cutoff = time.monotonic() - self.WINDOW
            if len(self._failures) > self.MAX_TRACKED:
                for name in [n for n, f in self._failures.items() if not f or f[-1] < cutoff]:
                    del self._failures[name]
            failures = self._failures[username]
            while failures and failures[0] < cutoff:
                failures.popleft()
            failures.append(time.monotonic())

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(username, None)
