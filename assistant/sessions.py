"""Conversations kept between CLI calls: `tierwise ask --session NAME` and `tierwise chat --session NAME`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from assistant.conversation import Conversation
from tools.errors import TierwiseError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def session_path(home: str | Path, name: str) -> Path:
    if not NAME.match(name or ""):
        raise TierwiseError(f"Session name '{str(name)[:40]}' may only use letters, digits, '.', '_' and '-' "
                            "(at most 64 characters).")
    return Path(home) / "sessions" / f"{name}.json"


def load_session(home: str | Path, name: str, role: str) -> Conversation:
    """The saved conversation, or a new one for this role. A saved session keeps its role: asking it as
    another role is refused rather than silently mixing what each may see."""
    path = session_path(home, name)
    if not path.exists():
        return Conversation(role=role)
    try:
        conversation = Conversation.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise TierwiseError(f"Session '{name}' could not be read ({exc}); delete {path} to start it afresh.") from exc
    if conversation.role != role:
        raise TierwiseError(f"Session '{name}' belongs to the {conversation.role} role; use --role "
                            f"{conversation.role} or another session name.")
    return conversation


def save_session(home: str | Path, name: str, conversation: Conversation) -> Path:
    path = session_path(home, name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(conversation.to_dict(), ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
    return path
