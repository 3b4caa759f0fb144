"""What a tool call runs with: the dataset snapshot, where files go, and who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
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
    home: Path | None = None  # the workspace whose settings and knowledge base apply; None: TIERWISE_HOME

    @property
    def workspace_home(self) -> Path:
        from tools.workspace import default_home

        return Path(self.home) if self.home is not None else default_home()

    @cached_property
    def settings(self) -> dict[str, Any]:
        """The workspace settings (brand, margin, send costs, ...), read once per call."""
        from tools.settings import read_settings

        return read_settings(self.workspace_home)
