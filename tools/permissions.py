"""Who may call which tool. Checked in code on every call, from the logged-in user's role."""

from __future__ import annotations

from tools.errors import TierwiseError

ALL_TOOLS = ("query_metrics", "dataset_overview", "find_customers", "segment_summary", "customer_lookup", "kpi_trend",
             "cohort_retention", "clv_forecast", "recommend_products", "draft_campaign", "campaign_forecast",
             "ab_test", "export_audience", "explain_model", "what_changed")

ROLE_TOOLS: dict[str, frozenset[str]] = {
    "marketer": frozenset(ALL_TOOLS),
    "support": frozenset({"customer_lookup"}),
    "admin": frozenset(ALL_TOOLS),
}
# Actions outside the chat tools (loading data, rebuilding models, managing users, the Models tab's
# cards, which carry tier and segment sizes and totals a support account can't ask the chat for)
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "marketer": frozenset({"kb_add", "view_models"}),
    "support": frozenset(),
    "admin": frozenset({"load_data", "rebuild_models", "kb_add", "manage_users", "view_models"}),
}
WHY = {
    "support": "Support accounts can look up one customer at a time (tier, churn risk, value, last orders and "
               "next best action); lists, exports and campaigns need a marketer or admin account.",
    "marketer": "Loading data and rebuilding models need an admin account.",
}


class PermissionDenied(TierwiseError):
    """The role of the logged-in user does not allow this."""


def authorize(role: str, tool: str) -> None:
    if role not in ROLE_TOOLS:
        raise PermissionDenied(f"Unknown role '{role}'. Roles are: {', '.join(ROLE_TOOLS)}.")
    if tool not in ROLE_TOOLS[role]:
        raise PermissionDenied(f"Sorry, your {role} account can't use {tool.replace('_', ' ')}. {WHY.get(role, '')}".strip())


def authorize_action(role: str, action: str) -> None:
    if action not in ROLE_ACTIONS.get(role, frozenset()):
        raise PermissionDenied(f"Sorry, your {role} account can't {action.replace('_', ' ')}. "
                               f"{WHY.get(role, '')}".strip())


def mask_email(email: str | None) -> str | None:
    """j***@example.com: first letter of the local part, the domain kept."""
    if not email or "@" not in email:
        return email
    local, domain = email.split("@", 1)
    return f"{local[:1]}***@{domain}"
