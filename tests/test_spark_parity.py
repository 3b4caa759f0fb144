"""The same features and the same query_metrics answers on DuckDB and on local Spark, for the demo shop.

Counts must be equal, sums and ratios equal to 1e-9 relative. Spark runs in local mode (local[2], 4 shuffle
partitions, no UI) in one SparkSession for the whole test session: starting it is most of the cost. PySpark and
Java are installed by `make test`; without them these tests fail with the engine's message, they never skip.
"""

from __future__ import annotations

import os
import re
import subprocess
import tomllib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from tools import engine, store
from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.features import build_features
from tools.value import purchase_summary
from tools.workspace import Workspace

# PySpark 4 warns on each pandas conversion that pandas 3 is newer than it was tested with: these tests are the check
pytestmark = pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas",
                                        "ignore:The copy keyword is deprecated::pyspark")
ROOT = Path(__file__).resolve().parents[1]
DEMO_CUSTOMERS = 300
REL = 1e-9
QUESTIONS = {
    "a total": {"metrics": ["revenue", "orders", "customers", "aov", "units"]},
    "a breakdown by category": {"metrics": ["revenue", "orders", "new_customers", "share_of_revenue"],
                                "by": ["category"]},
    "a monthly time series": {"metrics": ["revenue", "orders", "customers"], "grain": "month"},
    "a filter and a breakdown by country": {"metrics": ["revenue", "orders"], "by": ["country"],
                                            "filters": {"channel": "web"}},
    "a previous-period comparison": {"metrics": ["revenue", "orders", "customers"], "since": "last_90_days",
                                     "compare": "previous_period"},
    "cancellations by channel": {"metrics": ["cancellation_rate", "cancelled_orders", "refund_rate"],
                                 "by": ["channel"]},
    "an audience of Books buyers": {"metrics": ["aov", "repeat_purchase_rate"], "audience": {"category": "Books"}},
}


@pytest.fixture(scope="module")
def spark():
    """The one SparkSession of these tests (local[2], 4 shuffle partitions, UI off), as the engine starts it;
    stopped with its JVM afterwards, so the rest of the suite does not carry an idle JVM's memory."""
    mp = pytest.MonkeyPatch()
    mp.setenv("TIERWISE_SPARK_MASTER", "local[2]")
    mp.setenv("TIERWISE_SPARK_PARTITIONS", "4")
    # a JVM that lives a minute: the quick JIT tier only and one GC thread cost less CPU than they save
    mp.setenv("TIERWISE_SPARK_CONF", "spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    try:
        session = engine.spark_session()
    except TierwiseError as exc:
        pytest.fail(f"The Spark parity tests need PySpark and Java 17 (`make test` installs both): {exc}")
    finally:
        mp.undo()
    conf = session.sparkContext.getConf()
    assert conf.get("spark.ui.enabled") == "false" and session.conf.get("spark.sql.shuffle.partitions") == "4"
    yield session
    engine.stop_spark()


@pytest.fixture(scope="module")
def shop(tmp_path_factory, spark):
    """A small demo shop loaded the usual way (DuckDB); no models, the semantic layer needs none."""
    from tools.demo import generate_demo
    from tools.loading import load_dataset

    root = tmp_path_factory.mktemp("spark-shop")
    generate_demo(root / "demo", customers=DEMO_CUSTOMERS, seed=42)
    ws = Workspace(root / "home")
    report = load_dataset(ws, root / "demo" / "transactions.csv", customers=root / "demo" / "customers.csv",
                          build_models=False)
    return ws, date.fromisoformat(report["as_of"])


def assert_same_table(duck: pd.DataFrame, spark: pd.DataFrame, keys: list[str]) -> None:
    """Same columns and rows; numbers equal (counts exactly, others to 1e-9 relative), dates as days."""
    assert list(spark.columns) == list(duck.columns)
    assert len(spark) == len(duck)
    duck = _sorted(duck, keys)
    spark = _sorted(spark, keys)
    for column in duck.columns:
        a, b = duck[column], spark[column]
        if pd.api.types.is_integer_dtype(a) or pd.api.types.is_bool_dtype(a):
            assert a.tolist() == b.tolist(), column
        elif pd.api.types.is_float_dtype(a):
            np.testing.assert_allclose(b.to_numpy(float), a.to_numpy(float), rtol=REL, atol=0, equal_nan=True,
                                       err_msg=column)
        elif pd.api.types.is_datetime64_any_dtype(a) or pd.api.types.is_datetime64_any_dtype(b):
            assert _days(a) == _days(b), column
        else:
            assert a.astype(object).where(a.notna(), None).tolist() == \
                b.astype(object).where(b.notna(), None).tolist(), column


def _sorted(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return frame.reset_index(drop=True)
    return frame.assign(**{f"_k{i}": frame[k].astype(str) for i, k in enumerate(keys)}).sort_values(
        [f"_k{i}" for i in range(len(keys))]).drop(columns=[f"_k{i}" for i in range(len(keys))]).reset_index(drop=True)


def _days(col: pd.Series) -> list:
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in col]


def test_features_built_on_spark_equal_duckdbs_and_land_from_parquet(shop, monkeypatch):
    ws, as_of = shop
    con = store.connect(ws.current_store())
    try:
        duck = con.execute("SELECT * FROM features").df()
        duck_types = con.execute("DESCRIBE features").df()[["column_name", "column_type"]]
        monkeypatch.setenv("TIERWISE_ENGINE", "spark")
        summary = build_features(con, as_of, table="features_spark")
        landed = con.execute("SELECT * FROM features_spark").df()
        spark_types = con.execute("DESCRIBE features_spark").df()[["column_name", "column_type"]]
    finally:
        con.close()
    assert summary["engine"] == "spark" and summary["customers"] == len(duck) > 200
    assert spark_types.to_dict("records") == duck_types.to_dict("records")  # the same store types
    assert_same_table(duck, landed, ["customer_id"])
    # the store's table is read from the Parquet Spark wrote, which the lake gets too
    written = ws.current() / "spark" / "out" / "features_spark.parquet"
    from_file = duckdb.sql(f"SELECT * FROM read_parquet('{written}/*.parquet')").df()
    assert sorted(from_file["customer_id"]) == sorted(duck["customer_id"])


def test_hand_made_orders_give_the_same_features_on_spark_with_a_chinese_category(tmp_path, spark, monkeypatch):
    """test_features' hand-checked rows (no order ids, an order after as-of, no quantity) plus a 美妆 line."""
    from tests.test_features import AS_OF, ROWS, make_store

    con = make_store(tmp_path / "store.duckdb", [*ROWS, ("B", "2024-03-01", 12.5, None, "口红", "美妆", 1.0, "app")])
    try:
        build_features(con, AS_OF)
        duck = con.execute("SELECT * FROM features").df()
        monkeypatch.setenv("TIERWISE_ENGINE", "spark")
        build_features(con, AS_OF)
        landed = con.execute("SELECT * FROM features").df()
    finally:
        con.close()
    assert "share_cat_美妆" in duck.columns and len(duck) == 3
    assert_same_table(duck, landed, ["customer_id"])


def test_a_loaded_workspace_is_exported_to_parquet_once_per_content(shop, monkeypatch):
    ws, _ = shop
    monkeypatch.setenv("TIERWISE_ENGINE", "spark")
    con = store.connect(ws.current_store())
    try:
        eng = engine.for_store(con)
        assert eng.name == "spark" and eng.table("orders") is not None
        exported = ws.current() / "spark" / "in" / "orders.parquet"
        written_at = exported.stat().st_mtime_ns
        assert engine.for_store(con).table("orders") is not None
        assert exported.stat().st_mtime_ns == written_at  # the same content is not exported again
        rows = con.execute("SELECT count(*) FROM orders").fetchone()[0]
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{exported}')").fetchall()[0][0] == rows
        # scores (any store table) are written back as Parquet for the lake
        out = engine.for_store(con).publish("customers")
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}')").fetchall()[0][0] == \
            con.execute("SELECT count(*) FROM customers").fetchone()[0]
    finally:
        con.close()


def test_the_clv_purchase_summary_is_the_same_on_spark(shop):
    ws, as_of = shop
    con = store.connect(ws.current_store(), read_only=True)
    try:
        frames = {}
        for name in engine.ENGINES:
            eng = engine.for_store(con, engine=name)
            frames[name] = eng.run(purchase_summary(eng.table("orders"), as_of - timedelta(days=180)))
    finally:
        con.close()
    assert len(frames["duckdb"]) > 200
    assert_same_table(frames["duckdb"], frames["spark"].astype(frames["duckdb"].dtypes.to_dict()), ["customer_id"])


def test_the_churn_models_labelled_inputs_are_the_same_on_spark(shop):
    """Features at a cut plus the order-history features (medians, ranked days) and the churn label after it."""
    from tools.churn import _labelled, churn_features

    ws, as_of = shop
    cut = as_of - timedelta(days=90)
    con = store.connect(ws.current_store(), read_only=True)
    try:
        frames = {}
        for name in engine.ENGINES:
            eng = engine.for_store(con, engine=name)
            orders = eng.table("orders")
            expr = _labelled(churn_features(orders, cut, cancelled=eng.table("cancelled_orders")), orders, cut, 90)
            frames[name] = eng.run(expr)
    finally:
        con.close()
    duck = frames["duckdb"]
    assert len(duck) > 200 and 0 < duck["churned"].mean() < 1 and duck["refunds"].sum() > 0
    assert_same_table(duck, frames["spark"][duck.columns].astype(duck.dtypes.to_dict()), ["customer_id"])


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_query_metrics_answers_the_same_on_spark(shop, question, monkeypatch):
    ws, _ = shop
    args = QUESTIONS[question]
    answers = {}
    for name in engine.ENGINES:
        monkeypatch.setenv("TIERWISE_ENGINE", name)
        ds = Dataset(ws)
        snapshot = ds.snapshot()
        try:
            answers[name] = call_tool(ToolContext(snapshot=snapshot, exports_dir=ds.exports_dir), "query_metrics", args)
        finally:
            snapshot.close()
    duck, spark = answers["duckdb"], answers["spark"]
    assert duck.facts["row_count"] == spark.facts["row_count"] > 0
    keys = [*args.get("by", []), *(["period"] if args.get("grain") else [])]
    assert_same_table(pd.DataFrame(duck.facts["rows"]), pd.DataFrame(spark.facts["rows"]), keys)
    assert spark.summary == duck.summary  # the same sentence, so the same numbers as a reader sees them


def test_an_unknown_engine_names_the_choices(monkeypatch):
    monkeypatch.setenv("TIERWISE_ENGINE", "flink")
    with pytest.raises(TierwiseError, match="duckdb, spark"):
        engine.configured()


def test_more_spark_settings_are_key_value_pairs_and_a_malformed_one_is_named(monkeypatch):
    monkeypatch.setenv("TIERWISE_SPARK_CONF", "spark.executor.memory=4g; spark.sql.shuffle.partitions=64")
    assert engine.extra_conf() == {"spark.executor.memory": "4g", "spark.sql.shuffle.partitions": "64"}
    monkeypatch.setenv("TIERWISE_SPARK_CONF", "spark.executor.memory=4g;executor.cores")
    with pytest.raises(TierwiseError, match="'executor.cores'"):
        engine.extra_conf()


def test_a_spark_source_must_hold_the_store_columns(shop, tmp_path, monkeypatch):
    ws, _ = shop
    lake = tmp_path / "orders.parquet"
    duckdb.sql("SELECT 'C1' AS client, DATE '2025-01-01' AS day, 1.0 AS total").write_parquet(str(lake))
    monkeypatch.setenv("TIERWISE_ENGINE", "spark")
    monkeypatch.setenv("TIERWISE_SPARK_SOURCE", str(lake))
    con = store.connect(ws.current_store(), read_only=True)
    try:
        with pytest.raises(TierwiseError, match="customer_id, order_date, amount"):
            engine.for_store(con).table("orders")
    finally:
        con.close()


def make_spark_deps(tmp_path, java: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """`make spark-deps` with a fake apt-get that logs its calls (and is locked once) and the given java."""
    from tests.test_install import fake_apt

    lock = "Could not get lock /var/lib/apt/lists/lock. It is held by process 42 (apt-get)"
    bin_dir, log = fake_apt(tmp_path, update_failures=1, failure=lock)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"}
    run = subprocess.run(["make", "-s", "-C", str(ROOT), "spark-deps", f"JAVA={java}", "APT_WAIT_SECONDS=0"],
                         env=env, capture_output=True, text=True, timeout=60)
    return run, (log.read_text().splitlines() if log.exists() else [])


def test_the_spark_step_installs_a_java_17_runtime_from_debian_when_there_is_none(tmp_path):
    run, calls = make_spark_deps(tmp_path, java=str(tmp_path / "no-java"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "waiting for it to finish" in run.stdout  # the same apt wait as the browser step
    install = calls[-1].split()
    assert "install" in install and "DPkg::Lock::Timeout=300" in install and "openjdk-17-jre-headless" in install


def test_the_spark_step_leaves_a_java_17_alone(tmp_path):
    java = tmp_path / "java"
    java.write_text('#!/bin/sh\necho \'openjdk version "17.0.15" 2025-04-15\' >&2\n')
    java.chmod(0o755)
    run, calls = make_spark_deps(tmp_path, java=str(java))
    assert run.returncode == 0 and calls == []


def test_the_spark_step_replaces_a_java_older_than_17(tmp_path):
    java = tmp_path / "java"
    java.write_text('#!/bin/sh\necho \'java version "1.8.0_392"\' >&2\n')
    java.chmod(0o755)
    run, calls = make_spark_deps(tmp_path, java=str(java))
    assert run.returncode == 0 and "openjdk-17-jre-headless" in calls[-1].split()


def test_make_test_installs_pyspark_with_the_project_and_runs_the_spark_step():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert '-e ".[test,spark]"' in makefile
    assert re.search(r"^test: .*\bspark-deps\b", makefile, re.M)
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert any(re.fullmatch(r"pyspark>=4(\.\d+)*", d.replace(" ", "")) for d in extras["spark"])


def test_the_spark_bench_row_is_recorded_once_per_size_in_size_order(tmp_path):
    from tools.bench import SPARK_START, record_spark_result

    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nText before.\n", encoding="utf-8")
    row = {"customers": 1_000_000, "order_lines": 9_794_371, "duckdb_features_seconds": 49.4,
           "spark_features_seconds": 696.1, "spark_start_seconds": 13.9, "export_seconds": 18.1,
           "peak_rss_mb": 3630, "master": "local[2]", "load_average": 7.1, "machine": "2 cores"}
    for seconds in (700.0, 696.1):
        record_spark_result({**row, "spark_features_seconds": seconds}, path)
    record_spark_result({**row, "customers": 100_000, "order_lines": 979_627}, path)
    text = path.read_text(encoding="utf-8")
    rows = [r for r in text.split(SPARK_START)[1].splitlines() if r.startswith("| 20")]
    assert text.startswith("# Benchmarks\n\nText before.\n")
    assert [r.split("|")[2].strip() for r in rows] == ["100,000", "1,000,000"]
    assert "| 696.1 |" in rows[1] and "700.0" not in text and "| local[2] |" in rows[1]
