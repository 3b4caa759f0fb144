"""The agent's whole surface: every tool, its argument schema built from its signature, and
`call_tool`, which checks the role, validates arguments and runs the tool.

Tools are plain functions `tool(ctx, [audience,] *, arg=default, ...)`: the signature is the
schema and the first docstring line is the description. A parameter named `audience` stands
for the audience filters, which appear flattened in the schema (tier, segment, country, ...).
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from tools.audience import FILTER_FIELDS, AudienceFilters, parse_filters
from tools.changes import what_changed
from tools.context import ToolContext
from tools.copywriting import draft_campaign
from tools.customers import customer_lookup, export_audience, find_customers, recommend_products, segment_summary
from tools.errors import TierwiseError
from tools.forecasts import ab_test, campaign_forecast, clv_forecast
from tools.metrics import query_metrics
from tools.overview import dataset_overview, explain_model
from tools.permissions import ALL_TOOLS, authorize, mask_email
from tools.results import ToolResult
from tools.trends import cohort_retention, kpi_trend

TOOLS: dict[str, Callable[..., ToolResult]] = {f.__name__: f for f in (
    query_metrics, dataset_overview, find_customers, segment_summary, customer_lookup, kpi_trend, cohort_retention,
    clv_forecast, recommend_products, draft_campaign, campaign_forecast, ab_test, export_audience, explain_model,
    what_changed,
)}
assert tuple(TOOLS) == ALL_TOOLS


def takes_audience(name: str) -> bool:
    """Whether the tool takes the flattened audience filters (query_metrics has an `audience` of its own)."""
    param = inspect.signature(TOOLS[name]).parameters.get("audience")
    return param is not None and "AudienceFilters" in str(param.annotation)


def description(name: str) -> str:
    return (inspect.getdoc(TOOLS[name]) or name).splitlines()[0]


def _own_fields(func) -> dict[str, tuple[Any, Any]]:
    hints = typing.get_type_hints(func)
    fields = {}
    for pname, param in list(inspect.signature(func).parameters.items())[1:]:
        if pname == "audience" and "AudienceFilters" in str(param.annotation):
            continue
        default = ... if param.default is inspect.Parameter.empty else param.default
        fields[pname] = (hints[pname], default)
    return fields


def filter_fields(name: str) -> tuple[str, ...]:
    """The audience filters a tool takes flattened: all of them, except where the tool has an argument
    of the same name (draft_campaign's `channel` is the message channel, not the purchase channel)."""
    if not takes_audience(name):
        return ()
    own = _own_fields(TOOLS[name])
    return tuple(f for f in FILTER_FIELDS if f not in own)


def args_model(name: str) -> type[BaseModel]:
    """The pydantic model of a tool's arguments, audience filters flattened in."""
    fields = _own_fields(TOOLS[name])
    for fname in filter_fields(name):
        finfo = AudienceFilters.model_fields[fname]
        fields[fname] = (finfo.annotation, finfo)
    return create_model(f"{name}_args", __config__=ConfigDict(extra="forbid"), __doc__=description(name), **fields)


SCHEMAS = {name: args_model(name) for name in TOOLS}


# Bounds on what a caller (a person or a model) may pass, checked before anything else looks at it:
# a filter value, an offer or a tone fits in a few hundred characters, a list of metrics in a few dozen.
MAX_ARGUMENT_CHARS = 1_000
MAX_ARGUMENT_ITEMS = 100
MAX_ARGUMENT_DEPTH = 6


def _is_number(annotation: Any) -> bool:
    """Whether a field takes a number (int or float, optional or not) and nothing else."""
    kinds = set(typing.get_args(annotation)) - {type(None)} if typing.get_args(annotation) else {annotation}
    return bool(kinds) and kinds <= {int, float}


def _check_size(name: str, value: Any, depth: int = 0) -> None:
    if depth > MAX_ARGUMENT_DEPTH:
        raise TierwiseError(f"The {name} argument is nested more than {MAX_ARGUMENT_DEPTH} levels deep.")
    if isinstance(value, str) and len(value) > MAX_ARGUMENT_CHARS:
        raise TierwiseError(f"The {name} argument is {len(value):,} characters long; "
                            f"at most {MAX_ARGUMENT_CHARS:,} are accepted.")
    if isinstance(value, (list, tuple, dict)):
        if len(value) > MAX_ARGUMENT_ITEMS:
            raise TierwiseError(f"The {name} argument has {len(value):,} items; at most {MAX_ARGUMENT_ITEMS} are accepted.")
        for item in (value.items() if isinstance(value, dict) else value):
            for part in (item if isinstance(value, dict) else (item,)):
                _check_size(name, part, depth + 1)


def validate_args(name: str, args: dict[str, Any]) -> tuple[AudienceFilters | None, dict[str, Any]]:
    """The arguments as the tool receives them: checked for size, validated and coerced by the tool's schema
    ("20" becomes 20), split into audience filters and the tool's own arguments."""
    if name not in TOOLS:
        raise TierwiseError(f"Unknown tool '{name}'. Tools: {', '.join(TOOLS)}.")
    model = SCHEMAS[name]
    valid = list(model.model_fields)
    unknown = sorted(set(args) - set(valid))
    if unknown:
        shown = ", ".join(str(u)[:40] for u in unknown[:5])
        raise TierwiseError(f"{name} has no argument {shown}. Valid arguments: {', '.join(valid)}.")
    for key, value in args.items():
        _check_size(key, value)
        # pydantic reads true as 1 in a number field: LIMIT true would run as LIMIT 1
        if isinstance(value, bool) and _is_number(model.model_fields[key].annotation):
            raise TierwiseError(f"Invalid arguments for {name} ({key}: a number is needed, not {str(value).lower()}).")
    try:
        validated = model(**args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise TierwiseError(f"Invalid arguments for {name} ({problems}).") from None
    values = validated.model_dump(include=set(args))
    filters = filter_fields(name)
    own = {k: v for k, v in values.items() if k not in filters}
    audience = parse_filters({k: v for k, v in values.items() if k in filters}) if takes_audience(name) else None
    return audience, own


def call_tool(ctx: ToolContext, name: str, args: dict[str, Any]) -> ToolResult:
    """Run one tool for the context's role. Raises PermissionDenied or TierwiseError with a sentence."""
    if name not in TOOLS:
        raise TierwiseError(f"Unknown tool '{name}'. Tools: {', '.join(TOOLS)}.")
    authorize(ctx.role, name)
    audience, own = validate_args(name, args)
    result = TOOLS[name](ctx, audience, **own) if takes_audience(name) else TOOLS[name](ctx, **own)
    if ctx.role == "support":
        result.pii = {cid: {**fields, "email": mask_email(fields.get("email"))} for cid, fields in result.pii.items()}
    return result
