"""Role policy applied where calls are run (for both planners), not in the planner: what a role's question means
when it can only mean one thing for that role."""

from __future__ import annotations

import re
from typing import Any

from tools.permissions import ROLE_TOOLS

# a singular person the conversation already has in view: "she", "his", "this customer", "the caller", 她, 该客户 …
ONE_PERSON = re.compile(
    r"\b(?:she|he|her|hers|him|his|this (?:customer|client|caller|person)|that (?:customer|client|caller|person)|"
    r"the (?:caller|customer|client)|same (?:customer|client|caller))\b|[她他]|该客户|这位|这个客户|此客户|这名|来电客户",
    re.I)
# tools that answer about a group; a support agent's question about "her" means the customer in view
GROUP_TOOLS = frozenset({"find_customers", "segment_summary", "recommend_products", "clv_forecast", "query_metrics",
                         "kpi_trend", "cohort_retention", "export_audience"})


def support_call(role: str, question: str, customer_id: str | None, name: str, args: dict[str, Any]
                 ) -> tuple[str, dict[str, Any]]:
    """A support agent can only look one customer up: a follow-up about the customer in view ("is she likely to
    leave?") that a planner read as a group question becomes that customer's lookup. Anything else is unchanged
    (and a group question is refused by the registry with a plain sentence)."""
    if role != "support" or not customer_id or name not in GROUP_TOOLS or name in ROLE_TOOLS.get(role, ()):
        return name, args
    if args.get("customer_id") or ONE_PERSON.search(question):
        return "customer_lookup", {"query": args.get("customer_id") or customer_id}
    return name, args


def support_follow_up(role: str, question: str, customer_id: str | None) -> dict[str, Any] | None:
    """The lookup a support agent's unplanned follow-up about the customer in view means ("这位客户最近买了什么"),
    or None."""
    if role == "support" and customer_id and ONE_PERSON.search(question):
        return {"query": customer_id}
    return None
