"""The one place tool calls are run, for both planners.

The offline planner and the LLM agent each only *propose* tool calls. The Executor runs them:
it applies role policy (assistant.policy: a support agent's follow-up about the customer in view
is that customer's lookup), calls the tool through the ToolRegistry (which checks the role and
masks emails for roles that may not see them, tools.catalog.call_tool), keeps the records of the
turn, remembers results for follow-ups and reports each step to the UI.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from assistant.answer import ToolCallRecord
from assistant.conversation import Conversation
from assistant.policy import support_call

EventHandler = Callable[[str, object], None]


class Executor:
    """Runs one turn's tool calls for a conversation; thread-safe (an LLM may call tools in parallel)."""

    def __init__(self, registry, conversation: Conversation, question: str,
                 on_event: EventHandler | None = None):
        self.registry, self.conversation, self.question, self.on_event = registry, conversation, question, on_event
        self.records: list[ToolCallRecord] = []
        self._lock = threading.Lock()

    def run(self, name: str, args: dict[str, Any] | None) -> ToolCallRecord:
        """Run one call (never raises: failures and refusals come back as the record's status)."""
        with self._lock:
            state = self.conversation.state
            name, args = support_call(self.conversation.role, self.question, state.customer_id, name, dict(args or {}))
            record = self.registry.call(name, args)
            self.records.append(record)
            remember_result(self.conversation, record)
        if self.on_event:
            self.on_event("tool", record)
        return record


def remember_result(conversation: Conversation, record: ToolCallRecord) -> None:
    """Update what follow-ups refer to from a successful call."""
    state = conversation.state
    if record.status != "ok" or record.result is None:
        return
    state.last_tool, state.last_args = record.name, dict(record.args)
    if record.result.audience is not None:
        state.audience = dict(record.result.audience)
    if record.result.customer_id:
        state.customer_id = record.result.customer_id
