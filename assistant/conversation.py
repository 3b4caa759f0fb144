"""One conversation's state: what follow-ups ("them", "only those in France") refer to."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Language = Literal["en", "zh"]


@dataclass
class ConversationState:
    audience: dict[str, Any] = field(default_factory=dict)   # the last audience's filters, flattened
    customer_id: str | None = None                           # the last customer looked up
    last_tool: str | None = None
    last_args: dict[str, Any] = field(default_factory=dict)
    language: Language = "en"
    pending_choices: list[dict[str, Any]] = field(default_factory=list)  # readings offered by a clarifying question


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

    def to_dict(self) -> dict[str, Any]:
        """What a saved session keeps: role, user, follow-up state and history (ids and filters, no PII)."""
        return {"role": self.role, "user": self.user, "id": self.id, "state": asdict(self.state), "history": self.history}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        state = ConversationState(**{k: v for k, v in (data.get("state") or {}).items()
                                     if k in ConversationState.__dataclass_fields__})
        return cls(role=data.get("role", "marketer"), user=data.get("user", "local"), id=data.get("id") or uuid.uuid4().hex,
                   state=state, history=list(data.get("history") or []))
