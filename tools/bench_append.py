"""`tierwise bench --customers N --append K`: time `tierwise append` of K new orders to a built demo world of N.

The world is generated, loaded and built once (each as its own process, as `tierwise bench` does); the K
orders are the first K lines of the demo's hidden future (truth/future_orders.csv: what its customers really
bought after the as-of date), each line an order of its own. The append runs as its own process on
a copy of the world, so its wall time includes starting Python and its peak memory is its own. With
`workdir`, the built world is kept there and reused by the next run of the same size and seed.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from tools.bench import DOCS, _replace_row, _run_stage
from tools.progress import Progress, silent

APPEND_START, APPEND_END = "<!-- bench:append:start -->", "<!-- bench:append:end -->"
APPEND_HEADER = ("| date | customers | order lines | orders appended | customers with new orders | customers with an "
                 "order leaving a window | append s (process) | of which refresh s | peak RSS MB | load average | machine |\n"
                 "|---|---|---|---|---|---|---|---|---|---|---|")


def write_append_file(demo: Path, out: Path, orders: int) -> dict[str, Any]:
    """The first `orders` lines of the demo's future (by date) as a transactions file; returns its date range."""
    import duckdb

    future = str(demo / "truth" / "future_orders.csv").replace("'", "''")
    target = str(out).replace("'", "''")
    con = duckdb.connect()
    try:
        con.execute(f"""COPY (
            WITH f AS (SELECT *, row_number() OVER (ORDER BY order_date, customer_id, product) AS n
                       FROM read_csv('{future}'))
            SELECT 'F' || lpad(CAST(n AS VARCHAR), 9, '0') AS order_id,
                   customer_id, order_date, product, category, 1 AS quantity, amount, 'web' AS channel,
                   'completed' AS status
            FROM f WHERE n <= {int(orders)} ORDER BY n) TO '{target}' (HEADER)""")
        first, last, lines, customers = con.execute(
            f"SELECT min(order_date), max(order_date), count(*), count(DISTINCT customer_id) FROM read_csv('{target}')"
        ).fetchall()[0]
    finally:
        con.close()
    return {"first": first.isoformat(), "last": last.isoformat(), "lines": int(lines), "customers": int(customers)}


def run_append_benchmark(*, customers: int, orders: int, seed: int = 7, record: bool = False,
                         workdir: str | Path | None = None, progress: Progress = silent) -> dict[str, Any]:
    tmp = tempfile.TemporaryDirectory(prefix="tierwise-bench-append-")
    root = Path(workdir) if workdir else Path(tmp.name)
    try:
        world = root / f"world-{customers}-{seed}"
        data, home = world / "demo", world / "home"
        built = world / "built.json"
        if not built.exists():
            shutil.rmtree(world, ignore_errors=True)
            env = {**os.environ, "TIERWISE_HOME": str(home)}
            progress(f"generating {customers:,} demo customers")
            demo, _, _ = _run_stage(["demo", "--customers", str(customers), "--seed", str(seed), "--out", str(data)], env)
            progress("loading and building every model")
            _run_stage(["load", str(data / "transactions.csv"), "--customers", str(data / "customers.csv")], env)
            built.write_text(json.dumps({"order_lines": demo["demo"]["rows"]}), encoding="utf-8")
        order_lines = json.loads(built.read_text(encoding="utf-8"))["order_lines"]
        run = root / "run"
        shutil.rmtree(run, ignore_errors=True)
        progress("copying the built world")
        shutil.copytree(home, run / "home")
        new = write_append_file(data, run / "new_orders.csv", orders)
        progress(f"appending {new['lines']:,} orders")
        report, seconds, rss = _run_stage(["append", str(run / "new_orders.csv")],
                                          {**os.environ, "TIERWISE_HOME": str(run / "home")})
        load_average = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        shutil.rmtree(run, ignore_errors=True)
    finally:
        tmp.cleanup()
    result = {
        "customers": customers, "order_lines": order_lines, "orders_appended": new["lines"],
        "appended_dates": f"{new['first']} to {new['last']}", "append_seconds": round(seconds, 2),
        "refresh_seconds": report["timings"]["total_seconds"], "timings": report["timings"],
        "customers_recomputed": (report.get("refresh") or {}).get("customers_recomputed"),
        "customers_rewindowed": (report.get("refresh") or {}).get("customers_rewindowed"), "peak_rss_mb": round(rss),
        "refit": report.get("refit"), "load_average": round(load_average, 1) if load_average is not None else None,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "command": f"tierwise bench --customers {customers} --append {orders}",
    }
    if record:
        result["recorded"] = str(record_append_result(result))
    return result


def record_append_result(result: dict[str, Any], path: Path = DOCS) -> Path:
    """Replace this size's row in the append table of docs/benchmarks.md (or add it)."""
    row = (f"| {date.today().isoformat()} | {result['customers']:,} | {result['order_lines']:,} "
           f"| {result['orders_appended']:,} | {result['customers_recomputed'] or 0:,} "
           f"| {result['customers_rewindowed'] or 0:,} | {result['append_seconds']:.1f} "
           f"| {result['refresh_seconds']:.1f} | {result['peak_rss_mb']:,} | {result['load_average']} | {result['machine']} |")
    return _replace_row(path, APPEND_START, APPEND_END, APPEND_HEADER, row,
                        f"| {result['customers']:,} | {result['order_lines']:,} | {result['orders_appended']:,} |",
                        order=lambda r: int(r.split("|")[2].strip().replace(",", "")))
