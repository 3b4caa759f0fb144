"""Snapshots of the scores: what every customer's churn risk, tier, segment and value were after a load, a
build or an append, with the dataset's KPIs, so "what changed" can compare two of them (tools.changes).

Layout under TIERWISE_HOME:
    snapshots/<id>.parquet   one row per customer (SCORE_COLUMNS of the customer view)
    snapshots/<id>.json      when (as_of, recorded_at), what recorded it (kind), the dataset and its lineage,
                             and the KPIs at that moment (KPI_SQL)

A snapshot belongs to a lineage: the load that started the data (its `loaded_at`); appends and builds keep
it, a new load starts another, and only snapshots of one lineage are compared. A refresh records its
snapshot from the staged store before the swap (`record`), and `commit` makes it visible once the swap
succeeded; a failed refresh leaves none behind. The newest KEEP snapshots are kept.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Literal

from tools import store
from tools.errors import TierwiseError
from tools.workspace import STORE_FILE, Workspace

FOLDER = "snapshots"
KEEP = 120
SCORE_COLUMNS = ("customer_id", "tier", "segment", "churn_risk", "churn_probability", "value_at_risk", "clv_12m",
                 "total_spend", "orders", "last_order_date")
# KPIs read from the scores at the snapshot's moment (order KPIs are read from the orders when compared)
KPI_SQL = {
    "customers": "count(*)",
    "high_churn_risk_customers": "count(*) FILTER (WHERE churn_risk = 'high')",
    "value_at_risk_high_risk": "coalesce(sum(value_at_risk) FILTER (WHERE churn_risk = 'high'), 0)",
    "lapsed_customers": "count(*) FILTER (WHERE churn_risk = 'lapsed')",
    "high_tier_customers": "count(*) FILTER (WHERE tier = 'high')",
    "expected_value_12m": "coalesce(sum(clv_12m), 0)",
    "mean_churn_probability": "avg(churn_probability)",
}
Kind = Literal["load", "build", "append", "baseline"]


@dataclass
class Pending:
    """A snapshot written but not yet visible: committed after the dataset it describes is in service."""

    folder: Path
    id: str
    info: dict[str, Any]

    @property
    def scores(self) -> Path:
        return self.folder / f".pending-{self.id}.parquet"


def folder(home: str | Path) -> Path:
    return Path(home) / FOLDER


def record(con, home: str | Path, *, kind: Kind, detail: dict[str, Any] | None = None) -> Pending | None:
    """Write the scores and KPIs of the store on `con` as a pending snapshot; None when no models are built."""
    if not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'customer_view'").fetchall()[0][0]:
        return None
    meta = store.read_meta(con)
    present = {r[0] for r in con.execute("DESCRIBE customer_view").fetchall()}
    row = con.execute(f"SELECT {', '.join(f'{sql} AS {name}' for name, sql in KPI_SQL.items())} FROM customer_view").fetchall()[0]
    values = {name: (float(v) if v is not None and name != "customers" and not name.endswith("_customers") else v)
              for name, v in zip(KPI_SQL, row)}
    for group in ("tier", "segment", "churn_risk"):
        if group in present:
            values[f"{group}_sizes"] = {str(k): int(n) for k, n in con.execute(
                f"SELECT {group}, count(*) FROM customer_view WHERE {group} IS NOT NULL GROUP BY 1 ORDER BY 1").fetchall()}
    target = folder(home)
    target.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc)
    snapshot_id = f"{stamp.strftime('%Y%m%dT%H%M%S%f')}-{uuid.uuid4().hex[:6]}"
    pending = Pending(target, snapshot_id, {
        "id": snapshot_id, "kind": kind, "recorded_at": stamp.isoformat(timespec="seconds"),
        "as_of": meta.get("as_of"), "lineage": meta.get("loaded_at"), "source": (meta.get("load_report") or {}).get("file"),
        "kpis": values, **({"detail": detail} if detail else {}),
    })
    columns = ", ".join(c if c in present else f"NULL AS {c}" for c in SCORE_COLUMNS)
    path = str(pending.scores).replace("'", "''")
    # in the customer view's own order: readers join snapshots by customer id, and sorting a million ids costs
    con.execute(f"COPY (SELECT {columns} FROM customer_view) TO '{path}' (FORMAT parquet)")
    return pending


def commit(pending: Pending | None, *, dataset: str) -> dict[str, Any] | None:
    """Make a pending snapshot visible (it describes `dataset`, now in service); drop the oldest beyond KEEP."""
    if pending is None:
        return None
    info = {**pending.info, "dataset": dataset}
    os.replace(pending.scores, pending.folder / f"{pending.id}.parquet")
    tmp = pending.folder / f".pending-{pending.id}.json"
    tmp.write_text(json.dumps(info, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    os.replace(tmp, pending.folder / f"{pending.id}.json")
    for old in list_snapshots(pending.folder.parent)[:-KEEP]:
        for suffix in (".json", ".parquet"):
            (pending.folder / f"{old['id']}{suffix}").unlink(missing_ok=True)
    return info


def discard(pending: Pending | None) -> None:
    if pending is not None:
        pending.scores.unlink(missing_ok=True)


def record_current(ws: Workspace, *, kind: Kind) -> dict[str, Any] | None:
    """Snapshot the dataset in service (after a load or a build); None when it has no models."""
    current = ws.current()
    if current is None:
        return None
    con = store.connect(current / STORE_FILE, read_only=True)
    try:
        pending = record(con, ws.home, kind=kind)
    finally:
        con.close()
    return commit(pending, dataset=current.name)


def list_snapshots(home: str | Path, *, lineage: str | None = None) -> list[dict[str, Any]]:
    """Committed snapshots, oldest first (by as-of date, then by when they were recorded)."""
    found = []
    for path in folder(home).glob("*.json"):
        if path.name.startswith("."):
            continue
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a snapshot being pruned by another process, or damaged: not one to compare with
        if lineage is None or info.get("lineage") == lineage:
            found.append(info)
    return sorted(found, key=lambda i: (str(i.get("as_of")), str(i.get("recorded_at")), i["id"]))


def scores_path(home: str | Path, info: dict[str, Any]) -> Path:
    path = folder(home) / f"{info['id']}.parquet"
    if not path.is_file():
        raise TierwiseError(f"The scores of the snapshot of {info.get('as_of')} are missing from {path.parent}.")
    return path


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
