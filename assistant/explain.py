"""How the offline planner read a question (`tierwise ask "…" --explain`): the normalised text, the pieces parsed
from it, the router's intent probabilities with the cue scores that fed them, and the call(s) it plans.

It reads the question the way OfflinePlanner.plan does and plans it on a copy of the conversation state, so the
explanation changes nothing: the answer that follows is planned afresh.
"""

from __future__ import annotations

import copy
from typing import Any

from assistant import planning_metrics
from assistant.conversation import ConversationState
from assistant.language import detect_language
from assistant.planner import OfflinePlanner
from assistant.router import MAX_CHARS

TOP_INTENTS = 5


def explain(planner: OfflinePlanner, question: str, state: ConversationState, vocabulary: dict[str, Any], *,
            role: str) -> dict[str, Any]:
    """{normalised, language, pieces, slots, intents (best first, with cue scores), out_of_scope_score, calls,
    reply} for `question` asked in a conversation at `state`."""
    question = question[:MAX_CHARS]
    reading = planner.read(question, vocabulary)
    text, slots, query, routing = reading.text, reading.slots, reading.query, reading.routing
    plan = planner.plan(question, copy.deepcopy(state), vocabulary, role=role)
    return {
        "normalised": text,
        "language": detect_language(question),
        "pieces": {"metrics": list(query.metrics), "by": list(query.by),
                   "filters": planning_metrics.shape(query.filters) if query.filters else None,
                   "audience": planning_metrics.shape(query.audience) if query.audience else None,
                   "since": query.since, "until": query.until, "grain": query.grain, "compare": query.compare,
                   "sort": query.sort, "limit": query.limit},
        "slots": {"filters": dict(slots.filters), "horizon_days": slots.horizon_days, "offer": slots.offer,
                  "offer_cost": slots.offer_cost, "offer_percent": getattr(slots, "offer_percent", None),
                  "save_rate": slots.save_rate, "channel": slots.message_channel, "customer": slots.customer_query},
        "intents": [{"intent": intent, "probability": round(p, 4),
                     "cue_score": routing.out_of_scope if intent == "out_of_scope" else routing.cues.get(intent)}
                    for intent, p in list(routing.probabilities.items())[:TOP_INTENTS]],
        "out_of_scope_score": routing.out_of_scope,
        "calls": [{"name": c.name, "args": c.args} for c in plan.calls],
        "reply": None if plan.calls else plan.reply,
        "planned_intent": plan.intent,
    }
