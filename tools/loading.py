"""Load a user's files into a new dataset and put it in service only when all of it succeeded."""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from tools import store
from tools.errors import TierwiseError
from tools.features import build_features
from tools.ingest import ingest
from tools.progress import Progress, silent
from tools.semantic.headers import write_order_headers, write_order_rollups
from tools.workspace import STORE_FILE, Workspace


def load_dataset(
    ws: Workspace,
    transactions: str | Path,
    *,
    customers: str | Path | None = None,
    mapping: dict[str, str] | None = None,
    customer_mapping: dict[str, str] | None = None,
    as_of: date | None = None,
    rejects_path: str | Path | None = None,
    build_models: bool = True,
    seed: int = 42,
    progress: Progress = silent,
    demo: bool = False,
) -> dict[str, Any]:
    """Ingest, validate and featurise into a staging dataset, then swap it in atomically.

    Any failure discards the staging directory; the dataset in service is never touched. Only the demo
    (`demo=True`, from `tierwise demo --load`) brings the demo shop's brand; any other data removes it.
    """
    for path in (transactions, customers):
        if path is not None and not Path(path).is_file():
            raise TierwiseError(f"File not found: {path}")
    with _staged(ws) as (con, done):
        started = time.perf_counter()
        report = ingest(
            con, transactions, customers=customers, mapping=mapping,
            customer_mapping=customer_mapping, as_of=as_of, rejects_path=rejects_path,
            progress=progress,
        )
        ingest_seconds = time.perf_counter() - started
        as_of_date = date.fromisoformat(report["as_of"])
        features = _features(con, as_of_date, progress, attributes=report.get("attributes") or [])
        report["timings"] = {"ingest_seconds": round(ingest_seconds, 3),
                             "features_seconds": features["seconds"]}
        if build_models:
            started = time.perf_counter()
            report["models"] = _models(con, as_of_date, seed, progress)
            report["timings"]["models_seconds"] = round(time.perf_counter() - started, 3)
        store.write_meta(con, load_report=report, as_of=report["as_of"], loaded_at=_now(),
                         attributes=report.get("attributes", []))
    report["dataset"] = done["dataset"]
    if build_models:
        from tools.snapshots import record_current  # where "what changed" starts

        report["snapshot"] = (record_current(ws, kind="load") or {}).get("id")
    from tools.brand import adopt_loaded_data

    adopt_loaded_data(ws.home, demo=demo)
    progress("dataset in service", 1.0)
    return report


def rebuild(ws: Workspace, *, as_of: date | None = None, seed: int = 42,
            progress: Progress = silent) -> dict[str, Any]:
    """Recompute everything derived from the dataset in service, in a copy swapped in at the end."""
    with _staged(ws, copy_current=True) as (con, done):
        meta = store.read_meta(con)
        as_of = as_of or date.fromisoformat(meta["as_of"])
        first = con.execute("SELECT min(order_date) FROM orders").fetchall()[0][0]
        if first is not None and as_of < first:
            raise TierwiseError(
                f"The as-of date {as_of} is before the first order ({first}); "
                "pick a date inside the data."
            )
        started = time.perf_counter()
        features = _features(con, as_of, progress)
        store.write_meta(con, as_of=as_of.isoformat())
        models_started = time.perf_counter()
        models = _models(con, as_of, seed, progress)
        timings = {"features_seconds": features["seconds"],
                   "models_seconds": round(time.perf_counter() - models_started, 3),
                   "total_seconds": round(time.perf_counter() - started, 3)}
    from tools.snapshots import record_current

    snapshot = record_current(ws, kind="build")
    progress("build in service", 1.0)
    return {"as_of": as_of.isoformat(), "features": features, "models": models, "timings": timings,
            "dataset": done["dataset"], "snapshot": (snapshot or {}).get("id")}


@contextmanager
def _staged(ws: Workspace, *, copy_current: bool = False):
    """A staging dataset and its connection; put in service when the block succeeds, discarded otherwise.

    Yields (connection, done); after the block, done["dataset"] names the dataset now in service.
    """
    staged = ws.stage(copy_current=copy_current)
    done: dict[str, str] = {}
    try:
        con = store.connect(staged / STORE_FILE)
        try:
            yield con, done
        finally:
            con.close()
        done["dataset"] = ws.activate(staged).name
    except BaseException:
        ws.discard(staged)
        raise


def _features(con, as_of: date, progress: Progress, *, attributes: list | None = None) -> dict[str, Any]:
    progress("computing customer features")
    summary = build_features(con, as_of, progress=progress)
    progress("writing order headers")
    attrs = attributes if attributes is not None else store.read_meta(con).get("attributes") or []
    headers = write_order_headers(con, attrs)
    rollups = write_order_rollups(con, attrs, headers)
    store.write_meta(con, features_built_at=_now(), features=summary, order_header_columns=headers,
                     order_rollups=rollups)
    return summary


def _models(con, as_of: date, seed: int, progress: Progress) -> dict[str, Any]:
    from tools.models import build_models

    return build_models(con, as_of, seed=seed, progress=progress)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
