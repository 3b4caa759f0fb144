"""Which signed-in sessions still hold, and what each may upload and download.

Gradio keeps one token per sign-in (a cookie) and looks the user up from it on every request.
`SessionTokens` is that table with one more rule: a token holds only while its user still
exists with the role and password they signed in with, so removing or changing a user in the
users file ends their sessions at their next request. `WebGuard` sits in front of Gradio's own
routes: uploads need a role that may load data and a size under the limit, and a download is
served only to the session its answer was made for.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse

from tools.permissions import PermissionDenied, authorize_action
from ui.auth import UserStore
from ui.login import CLIENT_ADDRESS


class SessionTokens(dict):
    """Gradio's token → username table; a token whose user was removed or changed is dropped when read."""

    def __init__(self, users: UserStore, existing: dict | None = None):
        super().__init__()
        self.users = users
        self._granted: dict[str, tuple[str, str] | None] = {}
        for token, name in (existing or {}).items():
            self[token] = name

    def __setitem__(self, token: str, username: str) -> None:
        self._granted[token] = self.users.fingerprint(username)
        super().__setitem__(token, username)

    def __delitem__(self, token: str) -> None:
        self._granted.pop(token, None)
        super().__delitem__(token)

    def _valid(self, token) -> bool:
        if not super().__contains__(token):
            return False
        granted = self._granted.get(token)
        if granted is not None and granted == self.users.fingerprint(super().__getitem__(token)):
            return True
        self.pop(token, None)
        return False

    def pop(self, token, *default):
        self._granted.pop(token, None)
        return super().pop(token, *default)

    def get(self, token, default=None):
        return super().get(token, default) if token is not None and self._valid(token) else default

    def __getitem__(self, token):
        if not self._valid(token):
            raise KeyError(token)
        return super().__getitem__(token)

    def __contains__(self, token) -> bool:
        return self._valid(token)

    def keys(self):
        return [token for token in list(super().keys()) if self._valid(token)]

    def __iter__(self):
        return iter(self.keys())


class DownloadOwners:
    """Which signed-in session each download was made for, by the name Gradio serves it under."""

    def __init__(self):
        self._owners: dict[tuple[str, str], set[str]] = {}
        self._lock = threading.Lock()

    def register(self, path: str | Path, token: str | None) -> None:
        """Tie the file at `path` (before Gradio caches it) to the session `token`."""
        from gradio.processing_utils import hash_file

        if not token:
            return
        # Gradio serves an output from <cache>/<hash of its content>/<name>
        key = (hash_file(path), Path(path).name)
        with self._lock:
            self._owners.setdefault(key, set()).add(token)

    def owners(self, served: Path) -> set[str] | None:
        """The sessions a served file belongs to, or None when it is no answer's download."""
        with self._lock:
            found = self._owners.get((served.parent.name, served.name))
            return set(found) if found is not None else None


def session_token(cookies: dict[str, str], cookie_id: str) -> str | None:
    return cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")


class WebGuard:
    """ASGI middleware in front of Gradio: notes the client's address, polices uploads and downloads."""

    def __init__(self, app, *, users: Callable[[], UserStore | None], downloads: DownloadOwners,
                 cache_dir: Callable[[], str | None], max_upload_mb: Callable[[], int]):
        self.app = app
        self.users, self.downloads, self.cache_dir, self.max_upload_mb = users, downloads, cache_dir, max_upload_mb

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        reset = CLIENT_ADDRESS.set((scope.get("client") or ("unknown",))[0] or "unknown")
        try:
            refusal = self._refusal(scope)
            if refusal is not None:
                return await PlainTextResponse(refusal[1], status_code=refusal[0])(scope, receive, send)
            return await self.app(scope, receive, send)
        finally:
            CLIENT_ADDRESS.reset(reset)

    def _refusal(self, scope) -> tuple[int, str] | None:
        path = scope.get("path", "")
        upload = scope.get("method") == "POST" and path.rstrip("/").endswith("/gradio_api/upload")
        download = "/gradio_api/file=" in path or "/gradio_api/file/" in path
        if not (upload or download):
            return None
        app = scope.get("app")
        connection = HTTPConnection(scope)
        token = session_token(connection.cookies, getattr(app, "cookie_id", ""))
        username = app.tokens.get(token) if app is not None and token else None
        users = self.users()
        role = users.role(username) if users is not None and username else None
        if role is None:
            return 401, "Please sign in again."
        if upload:
            return self._upload_refusal(role, connection)
        return self._download_refusal(path, role, token)

    def _upload_refusal(self, role: str, connection: HTTPConnection) -> tuple[int, str] | None:
        try:
            authorize_action(role, "load_data")
        except PermissionDenied:
            return 403, (f"Sorry, your {role} account can't upload files: uploads are for loading data, "
                         "which needs an admin account.")
        limit = self.max_upload_mb()
        size = connection.headers.get("content-length")
        if size and size.isdigit() and int(size) > limit * 1024 * 1024:
            return 413, (f"The upload is {int(size) / 1024 / 1024:,.0f} MB; the web upload takes up to {limit} MB. "
                         "Load bigger files with `tierwise load FILE` on the server.")
        return None

    def _download_refusal(self, path: str, role: str, token: str | None) -> tuple[int, str] | None:
        marker = "/gradio_api/file=" if "/gradio_api/file=" in path else "/gradio_api/file/"
        wanted = path.split(marker, 1)[1]
        if wanted.startswith(("http://", "https://")):
            return 404, "Not found."  # Tierwise serves no remote files
        served = Path(wanted)
        owners = self.downloads.owners(served)
        if owners is not None:
            return None if token in owners else (404, "Not found.")
        cache = self.cache_dir()
        inside = cache is not None and _is_within(served, Path(cache))
        # what is no answer's download but sits in Gradio's cache is an upload: only who may load data sees it
        try:
            authorize_action(role, "load_data")
        except PermissionDenied:
            return 404, "Not found."
        return None if inside else (404, "Not found.")


def _is_within(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, ValueError):
        return False


def install(app: Any, users: UserStore) -> SessionTokens:
    """Swap a launched Gradio app's token table for one that ends sessions of removed or changed users."""
    tokens = SessionTokens(users, dict(app.tokens))
    app.tokens = tokens
    return tokens
