"""Ask instead of guessing: when a question's two best readings are close, offer them as choices.

The router gives each intent a probability. When the best is not clearly ahead of the second
(a small margin and no confident winner), the planner makes no call; the answer is a short question
offering the readings, in the question's language ("Your question could mean more than one thing…
1. a list of the customers who match  2. a breakdown of customers by group"). The choices are kept in
the conversation; the next turn picks one by number ("2", "第二个") or by its words, and the original
question is planned again with that reading. Anything else is a new question.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.planning_compose import templates

# A reading is offered when the runner-up is within CLOSE_MARGIN of the best and the best is below
# CONFIDENT: the router is unsure between two intents, so a confident answer would be a guess.
CLOSE_MARGIN = 0.08
CONFIDENT = 0.45
MAX_CHOICES = 3

_ZH_ORDINALS = {"一": 1, "二": 2, "两": 2, "三": 3}
_PICK = re.compile(r"^\s*(?:(?:option|choice|number|no\.?|#)\s*)?(\d)\s*[.)。]?\s*$", re.I)
_ZH_PICK = re.compile(r"^\s*(?:选)?第?\s*([一二两三\d])\s*(?:个|种|项|条)?\s*(?:吧|的)?[。.!！]?\s*$")
_EN_ORDINAL = re.compile(r"^\s*(?:the\s+)?(first|second|third)(?:\s+one)?\s*[.!]?\s*$", re.I)


def readings(ranked: list[tuple[str, float]], question: str, language: str) -> list[dict[str, Any]] | None:
    """The choices to offer for `question` given intents ranked by probability (best first), or None when
    the best reading is clear. Only intents with a label (prompts/answers/*.json, `clarify.intents`) are offered."""
    labels = templates(language)["clarify"]["intents"]
    ranked = [(i, p) for i, p in ranked if i in labels]
    if len(ranked) < 2:
        return None
    (_, best), (_, second) = ranked[0], ranked[1]
    if best >= CONFIDENT or best - second > CLOSE_MARGIN:
        return None
    close = [(i, p) for i, p in ranked[:MAX_CHOICES] if best - p <= CLOSE_MARGIN]
    return [{"label": labels[i], "intent": i, "question": question} for i, _ in close]


def question_text(language: str, choices: list[dict[str, Any]]) -> str:
    """The clarifying reply: a question, then the numbered readings, then how to pick."""
    t = templates(language)["clarify"]
    lines = [t["question"]] + [f"{n}. {c['label']}" for n, c in enumerate(choices, 1)] + [t["pick"]]
    return "\n".join(lines)


def pick(reply: str, choices: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The choice a reply picks: its number ('2', 'option 2', '第二个', 'the second one') or its label's
    words; None when the reply is something else (a new question)."""
    if not choices:
        return None
    text = (reply or "").strip()
    number = None
    if m := _PICK.match(text):
        number = int(m.group(1))
    elif m := _ZH_PICK.match(text):
        number = _ZH_ORDINALS.get(m.group(1)) or int(m.group(1))
    elif m := _EN_ORDINAL.match(text):
        number = ("first", "second", "third").index(m.group(1).lower()) + 1
    if number is not None:
        return choices[number - 1] if 1 <= number <= len(choices) else None
    folded = text.lower().rstrip("。.!！?？ ")
    return next((c for c in choices if c["label"].lower() == folded), None)
