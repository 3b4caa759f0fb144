"""The Assistant: a question in, an Answer out, through the offline planner or an LLM agent.

Both planners call tools only through the ToolRegistry, which enforces the role of the
conversation's user on every call. On any LLM failure the user gets a plain notice and the
offline planner's answer.
"""

from __future__ import annotations

import re
import threading
from typing import Any, Callable

from assistant import clarify
from assistant.answer import Answer
from assistant.conversation import Conversation
from assistant.executor import Executor
from assistant.policy import support_follow_up
from assistant.registry import ToolRegistry
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.workspace import Workspace

EventHandler = Callable[[str, object], None]  # ("token", text) | ("tool", ToolCallRecord) | ("notice", text)
MAX_QUESTION_CHARS = 2000  # a question is a question: longer text is refused before any parsing
MAX_NUMBER_DIGITS = 18     # no count, amount or id in a question is longer; a longer digit run is refused
_LONG_NUMBER = re.compile(r"\d{%d}" % (MAX_NUMBER_DIGITS + 1))


def _mostly_chinese(text: str) -> bool:
    """More Chinese characters than Latin letters in the first 200 characters (digits count for neither)."""
    sample = text[:200]
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in sample)
    return han > 0 and han >= sum(ch.isascii() and ch.isalpha() for ch in sample)


def too_long(question: str) -> str | None:
    """A clear refusal for a question too long to be one (or holding a number no one means), else None."""
    zh = _mostly_chinese(question)
    if len(question) > MAX_QUESTION_CHARS:
        return (f"问题太长了（{len(question):,} 个字符）；请把问题控制在 {MAX_QUESTION_CHARS:,} 个字符以内。" if zh else
                f"That question is {len(question):,} characters long; please ask in at most {MAX_QUESTION_CHARS:,}.")
    if _LONG_NUMBER.search(question):
        run = max(len(m) for m in re.findall(r"\d+", question))
        return (f"问题中有一个 {run:,} 位的数字；我能理解最多 {MAX_NUMBER_DIGITS} 位的数字。" if zh else
                f"The question holds a number {run:,} digits long; numbers of up to {MAX_NUMBER_DIGITS} digits are understood.")
    return None


class Assistant:
    def __init__(self, workspace: Workspace | str | None = None, *, llm=None):
        ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
        self.dataset = Dataset(ws)
        self.llm = llm  # assistant.llm.LLMSettings or None for offline only
        from assistant.planner import OfflinePlanner

        self.planner = OfflinePlanner()
        self._lock = threading.Lock()

    def conversation(self, role: str = "marketer", user: str = "local") -> Conversation:
        return Conversation(role=role, user=user)

    def registry(self, conversation: Conversation, copywriter=None) -> ToolRegistry:
        return ToolRegistry(self.dataset, role=conversation.role, user=conversation.user, copywriter=copywriter)

    def vocabulary(self) -> dict[str, list[str]]:
        try:
            snap = self.dataset.snapshot()
        except TierwiseError:
            return {}
        return {**semantic_vocabulary(snap), **snap.vocabulary}

    def ask(self, question: str, conversation: Conversation | None = None, *, role: str | None = None,
            use_llm: bool | None = None, on_event: EventHandler | None = None) -> Answer:
        conversation = conversation or self.conversation(role or "marketer")
        question = (question or "").strip()
        if not question:
            return Answer(text="Ask me about your customers, e.g. “Who is about to churn?”")
        refusal = too_long(question)
        if refusal:
            return Answer(text=refusal, language="zh" if _mostly_chinese(question) else "en")
        want_llm = self.llm is not None if use_llm is None else use_llm
        picked = clarify.pick(question, conversation.state.pending_choices)
        if picked:  # the pick answers the offline planner's own clarifying question
            return self._offline(question, conversation, on_event, picked=picked)
        if want_llm and self.llm is not None:
            from assistant.llm import LLMFailure, run_llm

            try:
                answer = run_llm(self, question, conversation, on_event=on_event)
                conversation.remember(question, answer.text)
                return answer
            except LLMFailure as exc:
                notice = f"{exc} Here is the offline planner's answer instead."
                if on_event:
                    on_event("notice", notice)
                answer = self._offline(question, conversation, on_event)
                answer.notice = notice
                return answer
        elif want_llm:
            notice = "No LLM is configured (set OPENAI_API_KEY or OPENAI_BASE_URL); answering offline."
            answer = self._offline(question, conversation, on_event)
            answer.notice = notice
            return answer
        return self._offline(question, conversation, on_event)

    def _offline(self, question: str, conversation: Conversation, on_event: EventHandler | None, *,
                 picked: dict[str, Any] | None = None) -> Answer:
        state = conversation.state
        state.pending_choices = []
        if picked:  # "2" after a clarifying question: the question asked then, read as chosen
            plan = self.planner.plan(picked["question"], state, self.vocabulary(), role=conversation.role,
                                     force_intent=picked["intent"])
        else:
            plan = self.planner.plan(question, state, self.vocabulary(), role=conversation.role)
        lookup = support_follow_up(conversation.role, question, conversation.state.customer_id) \
            if not plan.calls and plan.intent == "out_of_scope" else None
        if lookup:
            from assistant.planner import PlannedCall

            plan.calls, plan.intent, plan.reply, plan.out_of_scope = [PlannedCall("customer_lookup", lookup)], \
                "customer_lookup", None, False
        executor = Executor(self.registry(conversation), conversation, question, on_event)
        for call in plan.calls:
            executor.run(call.name, call.args)
        records = executor.records
        text = self.planner.compose(plan, records)
        conversation.state.language = plan.language
        conversation.remember(question, text)
        if on_event:
            on_event("token", text)
        state.pending_choices = list(getattr(plan, "choices", None) or [])
        return Answer(text=text, language=plan.language, tool_calls=records, planner="offline",
                      choices=[c["label"] for c in state.pending_choices])


_SEMANTIC_VOCABULARY: dict[str, dict] = {}


def semantic_vocabulary(snap) -> dict:
    """What the planner reads beyond the snapshot's lists: the loaded attributes (name, label, type, grain, values)
    and the values of the customer dimensions (cities, genders), once per dataset."""
    key = str(snap.path)
    if key not in _SEMANTIC_VOCABULARY:
        extra: dict = {"attributes": list(snap.meta.get("attributes") or [])}
        try:
            from tools.semantic.binding import bind

            bound = bind(snap)
            extra["metrics"] = sorted(bound.model.metrics)  # what this dataset can count (refunds need their status)
            for name, plural in (("city", "cities"), ("gender", "genders")):
                if name in bound.model.dimensions:
                    extra[plural] = bound.values_of(bound.model.dimensions[name])[:2000]
        except Exception:  # the planner works without them; the tools report what went wrong
            pass
        if len(_SEMANTIC_VOCABULARY) > 8:
            _SEMANTIC_VOCABULARY.clear()
        _SEMANTIC_VOCABULARY[key] = extra
    return _SEMANTIC_VOCABULARY[key]
