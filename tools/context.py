"""What a tool call runs with: the dataset snapshot, where files go, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

from tools.dataset import Snapshot

Role = Literal["marketer", "support", "admin"]
ROLES: tuple[Role, ...] = ("marketer", "support", "admin")


@dataclass(frozen=True)
class ToolContext:
    snapshot: Snapshot
    exports_dir: Path
    role: Role = "marketer"
    user: str = "local"
    # Writes campaign copy from a fact sheet and a brief when an LLM is configured; None = templates.
    copywriter: Callable[[dict[str, Any], dict[str, Any]], list[dict[str, Any]]] | None = None
    currency: str | None = None  # the workspace's currency for money in answers; None shows plain numbers
