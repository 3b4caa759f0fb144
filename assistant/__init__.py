"""Tierwise's assistant: `from assistant import Assistant` for notebooks and scripts."""

from assistant.answer import Answer, ToolCallRecord
from assistant.conversation import Conversation


def __getattr__(name):
    # imported lazily so `import assistant.cli` stays fast for commands that don't need the planner
    if name == "Assistant":
        from assistant.core import Assistant

        return Assistant
    raise AttributeError(name)


__all__ = ["Assistant", "Answer", "Conversation", "ToolCallRecord"]
