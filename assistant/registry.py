"""The one tool registry both planners use: schemas for the LLM, and calls that never raise."""

from __future__ import annotations

import logging
from typing import Any

from assistant.answer import ToolCallRecord
from tools.catalog import SCHEMAS, TOOLS, call_tool, description
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.permissions import PermissionDenied

log = logging.getLogger(__name__)


def tool_specs() -> list[dict[str, Any]]:
    """OpenAI-style function specs of every tool (the LLM sees all; roles are enforced on call)."""
    specs = []
    for name, model in SCHEMAS.items():
        schema = model.model_json_schema()
        schema.pop("title", None)
        schema.pop("description", None)
        specs.append({"type": "function", "function": {"name": name, "description": description(name),
                                                       "parameters": schema}})
    return specs


class ToolRegistry:
    def __init__(self, dataset: Dataset, *, role: str, user: str = "local", copywriter=None):
        self.dataset, self.role, self.user, self.copywriter = dataset, role, user, copywriter

    def context(self) -> ToolContext:
        from tools.settings import read_settings

        home = self.dataset.workspace.home
        return ToolContext(snapshot=self.dataset.snapshot(), exports_dir=self.dataset.exports_dir,
                           currency=read_settings(home).get("currency"), home=home,
                           role=self.role, user=self.user, copywriter=self.copywriter)

    def call(self, name: str, args: dict[str, Any]) -> ToolCallRecord:
        args = {k: v for k, v in (args or {}).items() if v is not None}
        try:
            result = call_tool(self.context(), name, args)
            return ToolCallRecord(name, args, "ok", result=result)
        except PermissionDenied as exc:
            return ToolCallRecord(name, args, "denied", error=str(exc))
        except TierwiseError as exc:
            return ToolCallRecord(name, args, "error", error=str(exc))
        except Exception as exc:  # a bug must not take the conversation down
            log.exception("tool %s failed", name)
            return ToolCallRecord(name, args, "error",
                                  error=f"The {name.replace('_', ' ')} tool failed unexpectedly ({type(exc).__name__}).")

    @staticmethod
    def names() -> list[str]:
        return list(TOOLS)
