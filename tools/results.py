"""What every tool returns: a short summary, facts, tables, a chart spec, files and the audience.

PII never lives in `summary`, `facts` or `tables`: those may be shown to an external LLM. Names
and emails for display go in `pii` (customer_id -> fields), which only the UI/CLI renders and
only for roles allowed to see it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Table(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total_rows: int | None = None  # rows in the full result when `rows` is a preview


class ToolResult(BaseModel):
    summary: str
    facts: dict[str, Any] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    chart: dict[str, Any] | None = None  # a Plotly figure as JSON (data + layout)
    files: list[str] = Field(default_factory=list)
    audience: dict[str, Any] | None = None  # the filters that describe the customers returned
    customer_id: str | None = None
    variants: list[dict[str, Any]] | None = None  # campaign copy variants (draft_campaign)
    checks: dict[str, Any] | None = None  # compliance checks of the copy (draft_campaign)
    pii: dict[str, dict[str, Any]] = Field(default_factory=dict, exclude=True)

    def for_llm(self) -> dict[str, Any]:
        """The result as an external model may see it: pseudonymous ids only, tables trimmed."""
        data = self.model_dump(exclude={"pii", "chart"})
        for table in data["tables"]:
            table["rows"] = table["rows"][:20]
        data["chart"] = self.chart.get("layout", {}).get("title") if self.chart else None
        return data


def frame_to_table(title: str, frame, *, limit: int | None = None, total: int | None = None) -> Table:
    import numpy as np
    import pandas as pd

    shown = frame.head(limit) if limit else frame
    rows = []
    for record in shown.itertuples(index=False):
        row = []
        for value in record:
            if isinstance(value, (np.floating, float)):
                row.append(None if pd.isna(value) else round(float(value), 4))
            elif isinstance(value, np.integer):
                row.append(int(value))
            elif isinstance(value, (pd.Timestamp,)):
                row.append(value.date().isoformat())
            elif hasattr(value, "isoformat"):
                row.append(value.isoformat())
            elif value is None or (not isinstance(value, (list, np.ndarray)) and pd.isna(value)):
                row.append(None)
            elif isinstance(value, np.ndarray):
                row.append(value.tolist())
            else:
                row.append(value)
        rows.append(row)
    return Table(title=title, columns=[str(c) for c in shown.columns], rows=rows,
                 total_rows=total if total is not None else len(frame))


def money(value) -> str:
    v = round(float(value or 0), 2)  # to the cent first: float noise (….4999999) rounds as the cents do
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.2f}"


def count(value) -> str:
    return f"{int(value or 0):,}"
