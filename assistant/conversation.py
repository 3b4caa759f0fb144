"""One conversation's state: what follow-ups ("them", "only those in France") refer to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

Language = Literal["en", "zh"]


@dataclass
class ConversationState:
    audience: dict[str, Any] = field(default_factory=dict)   # the last audience's filters, flattened
    customer_id: str | None = None                           # the last customer looked up
    last_tool: str | None = None
    last_args: dict[str, Any] = field(default_factory=dict)
    language: Language = "en"


@dataclass
class Conversation:
    role: str = "marketer"
    user: str = "local"
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: ConversationState = field(default_factory=ConversationState)
    history: list[dict[str, str]] = field(default_factory=list)  # [{"role": "user"|"assistant", "content"}]

    def remember(self, question: str, answer: str) -> None:
        self.history.append({"role": "user", "content": question})
        self.history.append({"role": "assistant", "content": answer})
        del self.history[:-20]  # the last ten exchanges are plenty of context
