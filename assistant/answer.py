"""What the assistant gives back: text, the tool calls made (with results) and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tools.results import ToolResult

Status = Literal["ok", "denied", "error"]


@dataclass
class ToolCallRecord:
    name: str
    args: dict[str, Any]
    status: Status
    result: ToolResult | None = None
    error: str | None = None

    def to_json(self, *, with_result: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "args": self.args, "status": self.status}
        if with_result:
            data["result"] = self.result.model_dump(mode="json") if self.result else None
            if self.error:
                data["error"] = self.error
        return data


@dataclass
class Answer:
    text: str
    language: str = "en"
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    planner: Literal["offline", "llm"] = "offline"
    notice: str | None = None  # e.g. "The LLM timed out; this is the offline planner's answer."
    choices: list[str] = field(default_factory=list)  # a clarifying question's readings, to pick by number or click

    def to_json(self) -> dict[str, Any]:
        data = {"answer": self.text, "language": self.language, "planner": self.planner,
                "tool_calls": [c.to_json() for c in self.tool_calls]}
        if self.notice:
            data["notice"] = self.notice
        if self.choices:
            data["choices"] = list(self.choices)
        return data

    @property
    def results(self) -> list[ToolResult]:
        return [c.result for c in self.tool_calls if c.result is not None]
