"""Who may sign in to the web app, with which role, and how their passwords are stored.

Users come from, in order: `TIERWISE_USERS_INLINE` ("alice:marketer:pw,bob:support:pw",
hashed at start), the file named by `TIERWISE_USERS`, or `$TIERWISE_HOME/users.json`.
A users file is JSON (`{"users": [{"username", "role", "password_hash"}]}`) or TOML
(`[[users]]` tables with the same keys). Passwords are stored as salted scrypt hashes
(PBKDF2-SHA256 hashes are accepted too). A store read from a file follows the file while the
server runs: each check looks at the file's identity and re-reads it when it changed, so a
removed or changed user is out at their next request. Every plain-text source (inline users,
`users add`, the Python API) must meet the password-length rule. With nobody configured, a
server bound to loopback gets one random demo login per role; any other address refuses to start.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from tools.context import ROLES
from tools.errors import TierwiseError
from tools.workspace import default_home

log = logging.getLogger(__name__)

SCRYPT = {"n": 2**14, "r": 8, "p": 1}   # ~16 MB and ~50 ms per hash: fine for a login, slow for guessing
PBKDF2_ITERATIONS = 600_000
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    username: str
    role: str
    password_hash: str


def hash_password(password: str) -> str:
    """A salted scrypt hash: `scrypt$n$r$p$salt$hash` (salt and hash in base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **SCRYPT)
    return "$".join(["scrypt", str(SCRYPT["n"]), str(SCRYPT["r"]), str(SCRYPT["p"]), _b64(salt), _b64(digest)])


def verify_password(password: str, stored: str) -> bool:
    """True when `password` matches a scrypt or pbkdf2_sha256 hash made by this module (or by hand)."""
    try:
        scheme, *parts = stored.split("$")
        if scheme == "scrypt":
            n, r, p, salt, expected = parts
            digest = hashlib.scrypt(password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                                    dklen=len(_unb64(expected)), maxmem=256 * 1024 * 1024)
        elif scheme == "pbkdf2_sha256":
            iterations, salt, expected = parts
            digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), _unb64(salt), int(iterations),
                                         dklen=len(_unb64(expected)))
        else:
            return False
        return hmac.compare_digest(digest, _unb64(expected))
    except (ValueError, TypeError):
        return False


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class UserStore:
    """The users allowed to sign in; `verify` checks a password, `fingerprint` what a session was granted on."""

    def __init__(self, users: list[User] | None = None, *, source: str = "configuration",
                 path: Path | None = None):
        self.source = source
        self._users: dict[str, User] = {}
        for user in users or []:
            _check_user(user.username, user.role, source)
            self._users[user.username] = user
        self._path = path
        self._signature = _signature(path) if path is not None else None
        self._reload = threading.Lock()

    @classmethod
    def from_passwords(cls, entries: Mapping[str, tuple[str, str]], *, source: str = "arguments") -> UserStore:
        """{username: (role, plain password)} — hashed here, the plain passwords are not kept."""
        for name, (_, pw) in entries.items():
            _check_password(name, pw, source)
        return cls([User(name, role, hash_password(pw)) for name, (role, pw) in entries.items()], source=source)

    @classmethod
    def from_inline(cls, text: str) -> UserStore:
        """`alice:marketer:pw,bob:support:pw` as in TIERWISE_USERS_INLINE."""
        entries: dict[str, tuple[str, str]] = {}
        for item in (part.strip() for part in text.split(",")):
            if not item:
                continue
            pieces = item.split(":", 2)
            if len(pieces) != 3 or not all(pieces):
                raise TierwiseError(f"Could not read the TIERWISE_USERS_INLINE entry '{item.split(':')[0]}:…': "
                                    "write each user as name:role:password, separated by commas.")
            entries[pieces[0]] = (pieces[1], pieces[2])
        return cls.from_passwords(entries, source="TIERWISE_USERS_INLINE")

    @classmethod
    def from_file(cls, path: str | Path) -> UserStore:
        """The users in a users file; the store re-reads the file whenever it changes."""
        path = Path(path)
        return cls(_file_users(path), source=str(path), path=path)

    def refresh(self) -> None:
        """Re-read the users file if it changed since it was read (one stat when it didn't)."""
        if self._path is None or _signature(self._path) == self._signature:
            return
        with self._reload:
            signature = _signature(self._path)
            if signature == self._signature:
                return
            try:
                users = {u.username: u for u in _file_users(self._path)}
                for user in users.values():
                    _check_user(user.username, user.role, self.source)
            except TierwiseError as exc:
                # a broken or missing file lets nobody in rather than keep someone it meant to remove
                log.error("%s Nobody can sign in until the users file is fixed.", exc)
                users = {}
            self._users, self._signature = users, signature

    def __len__(self) -> int:
        self.refresh()
        return len(self._users)

    def __contains__(self, username: str) -> bool:
        self.refresh()
        return username in self._users

    def names(self) -> list[str]:
        self.refresh()
        return sorted(self._users)

    def role(self, username: str | None) -> str | None:
        self.refresh()
        user = self._users.get(username or "")
        return user.role if user else None

    def fingerprint(self, username: str | None) -> tuple[str, str] | None:
        """What a signed-in session holds on to: the user's role and password hash (None once removed)."""
        self.refresh()
        user = self._users.get(username or "")
        return (user.role, user.password_hash) if user else None

    def verify(self, username: str, password: str) -> bool:
        self.refresh()
        user = self._users.get(username)
        # hash even for unknown names so the reply time doesn't tell which names exist
        ok = verify_password(password or "", user.password_hash if user else _DUMMY_HASH)
        return bool(user) and ok


def _signature(path: Path) -> tuple[int, int, int] | None:
    """The file's identity and version: a replace, an edit in place or a removal all change it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _file_users(path: Path) -> list[User]:
    users = []
    for row in _read_user_rows(path):
        if not isinstance(row, dict) or not {"username", "role", "password_hash"} <= set(row):
            raise TierwiseError(f"Every user in {path} needs username, role and password_hash; "
                                f"found {sorted(row) if isinstance(row, dict) else row!r}.")
        users.append(User(str(row["username"]), str(row["role"]), str(row["password_hash"])))
    return users


def _check_password(name: str, password: str, source: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise TierwiseError(f"Give {name} a password of at least {MIN_PASSWORD_LENGTH} characters"
                            + (f" (in {source})." if source != "users file" else "."))


def _check_user(username: str, role: str, source: str) -> None:
    if not username or any(c in username for c in ":,\n"):
        raise TierwiseError(f"User name '{username}' in {source} is not valid: use letters, digits, '.', '-' or '_'.")
    if role not in ROLES:
        raise TierwiseError(f"User '{username}' in {source} has the unknown role '{role}'. Roles are: {', '.join(ROLES)}.")


def _read_user_rows(path: Path) -> list:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TierwiseError(f"The users file {path} does not exist; create it with `tierwise users add NAME --role ROLE`.") from None
    try:
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise TierwiseError(f"Could not read the users file {path}: {exc}.") from None
    rows = data.get("users", []) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise TierwiseError(f"The users file {path} should hold a list of users under 'users'.")
    return rows


def users_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("TIERWISE_USERS"):
        return Path(env["TIERWISE_USERS"]).expanduser()
    home = Path(env["TIERWISE_HOME"]).expanduser() if env.get("TIERWISE_HOME") else default_home()
    return home / "users.json"


def load_users(env: Mapping[str, str] | None = None) -> UserStore | None:
    """The configured users, or None when no inline users and no users file exist."""
    env = os.environ if env is None else env
    if env.get("TIERWISE_USERS_INLINE", "").strip():
        return UserStore.from_inline(env["TIERWISE_USERS_INLINE"])
    path = users_path(env)
    if env.get("TIERWISE_USERS") or path.is_file():
        store = UserStore.from_file(path)
        return store if len(store) else None
    return None


def add_user(path: str | Path, name: str, role: str, password: str) -> User:
    """Add or replace one user in a users file (JSON, or TOML by extension); the password is hashed."""
    path = Path(path)
    _check_user(name, role, str(path))
    _check_password(name, password, "users file")
    rows = _read_user_rows(path) if path.is_file() else []
    user = User(name, role, hash_password(password))
    rows = [r for r in rows if not (isinstance(r, dict) and r.get("username") == name)]
    rows.append({"username": user.username, "role": user.role, "password_hash": user.password_hash})
    _write_user_rows(path, rows)
    return user


def remove_user(path: str | Path, name: str) -> None:
    """Remove one user from a users file; naming someone who is not there is an error."""
    path = Path(path)
    rows = _read_user_rows(path)
    kept = [r for r in rows if not (isinstance(r, dict) and r.get("username") == name)]
    if len(kept) == len(rows):
        raise TierwiseError(f"There is no user '{name}' in {path}.")
    _write_user_rows(path, kept)


def _write_user_rows(path: Path, rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".toml":
        # JSON string escapes are valid TOML basic strings for these plain values
        text = "".join("[[users]]\n" + "".join(f"{k} = {json.dumps(str(r[k]))}\n" for k in ("username", "role", "password_hash")) + "\n"
                       for r in rows)
    else:
        text = json.dumps({"users": rows}, indent=2) + "\n"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def is_loopback(host: str | None) -> bool:
    host = (host or "127.0.0.1").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def demo_logins() -> dict[str, tuple[str, str]]:
    """One login per role with a fresh random password: {username: (role, password)}."""
    return {role: (role, secrets.token_urlsafe(9)) for role in ("marketer", "admin", "support")}


def users_for_host(host: str | None, configured: UserStore | None = None,
                   env: Mapping[str, str] | None = None) -> tuple[UserStore, str | None]:
    """The users to serve `host` with, and a message to print (the demo logins) if any.

    Raises TierwiseError when a non-loopback address would be served without configured users.
    """
    store = configured if configured is not None else load_users(env)
    if store is not None and len(store):
        return store, None
    if not is_loopback(host):
        raise TierwiseError(
            f"Refusing to serve on {host} without configured users: anyone on the network could read your "
            f"customer data. Add users with `tierwise users add NAME --role marketer|support|admin` "
            f"(writes {users_path(env)}) or set TIERWISE_USERS_INLINE, then start again.")
    logins = demo_logins()
    lines = ["No users are configured, so these demo logins work for this run only (loopback only):"]
    lines += [f"  {name:<9} password {pw}   ({role})" for name, (role, pw) in logins.items()]
    lines.append("Add real users with `tierwise users add NAME --role ROLE`.")
    return UserStore.from_passwords(logins, source="demo logins"), "\n".join(lines)
