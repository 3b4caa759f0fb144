"""`tierwise bench` measures each stage in its own process and keeps one row per size."""

import pytest

from tools.bench import END, START, record_result, run_benchmark


def test_bench_reports_every_stage_with_memory(tmp_path):
    result = run_benchmark(customers=300, seed=1)
    stages = {s["stage"]: s for s in result["stages"]}
    assert set(stages) == {"generate", "load", "build", "answers"}
    assert result["answer_latency"]["answers"] > 0 and result["answer_latency"]["errors"] == 0
    assert all(s["seconds"] > 0 and s["peak_rss_mb"] > 20 for s in stages.values())
    assert result["order_lines"] > 300
    assert result["ingest_seconds"] + result["features_seconds"] <= result["load_and_features_seconds"]


def test_recording_twice_for_one_size_keeps_one_row_and_the_text_around_it(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nIntro stays.\n", encoding="utf-8")
    base = {"customers": 1000, "order_lines": 9000, "ingest_seconds": 1.0, "features_seconds": 0.5,
            "load_and_features_seconds": 2.0, "machine": "2 cores",
            "answer_latency": {"p50_ms": 20.0, "p95_ms": 90.0},
            "stages": [{"stage": "generate", "seconds": 1.0, "peak_rss_mb": 100},
                       {"stage": "load", "seconds": 2.0, "peak_rss_mb": 200},
                       {"stage": "build", "seconds": 5.0, "peak_rss_mb": 300}]}
    record_result(base, doc)
    record_result({**base, "load_and_features_seconds": 3.5}, doc)
    record_result({**base, "customers": 500}, doc)
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Benchmarks\n\nIntro stays.")
    table = text.split(START)[1].split(END)[0]
    rows = [r for r in table.splitlines() if r.startswith("| 20")]
    assert len(rows) == 2
    assert "| 500 |" in rows[0] and "| 1,000 |" in rows[1] and "| 3.5 |" in rows[1]


def test_clv_bench_fits_the_cdnow_master_and_keeps_one_row_per_file(shared_data, tmp_path, monkeypatch):
    import tools.bench as bench

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n", encoding="utf-8")
    monkeypatch.setattr(bench, "DOCS", doc)
    monkeypatch.setattr(bench.record_clv_result, "__defaults__", (doc,))
    path = shared_data / "data" / "cdnow" / "CDNOW_master.txt"
    from datetime import date
    for _ in range(2):
        result = bench.run_clv_benchmark(path, as_of=date(1997, 9, 30), record=True)
    assert result["customers"] == 23_570 and result["bgnbd"]["converged"]
    assert result["bgnbd_seconds"] > 0 and result["gamma_gamma_seconds"] > 0
    table = doc.read_text(encoding="utf-8").split(bench.CLV_START)[1].split(bench.CLV_END)[0]
    assert sum("CDNOW_master.txt" in r for r in table.splitlines()) == 1


def test_clv_stage_bench_times_the_stage_on_a_synthetic_shop_and_keeps_one_row_per_size(tmp_path):
    import tools.bench as bench

    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n", encoding="utf-8")
    for _ in range(2):
        result = bench.run_clv_stage_benchmark(customers=2000, seed=3)
        bench.record_clv_stage_result(result, doc)
    assert result["orders"] > 10 * 2000 and result["converged"]
    assert 0 < result["backtest_seconds"] < result["stage_seconds"] and result["stage_cpu_seconds"] > 0
    assert result["bgnbd"]["iterations"] <= 500 and result["gamma_gamma"]["iterations"] <= 500
    table = doc.read_text(encoding="utf-8").split(bench.CLV_STAGE_START)[1].split(bench.CLV_STAGE_END)[0]
    assert sum("| 2,000 |" in r for r in table.splitlines()) == 1


def test_the_synthetic_shop_has_the_shape_lifetimes_is_benchmarked_on():
    from tools.bench import SYNTHETIC_MAX_ORDERS, synthetic_clv_shop

    orders = synthetic_clv_shop(5000, seed=1)
    per_customer = orders.groupby("customer_id")["order_date"].agg(["size", "min", "max"])
    assert per_customer["size"].max() <= SYNTHETIC_MAX_ORDERS and 12 <= per_customer["size"].mean() <= 18
    first = per_customer["min"]
    assert (first.max() - first.min()).days >= 360 and (orders["order_date"].max() - first.min()).days >= 900


@pytest.mark.slow
def test_clv_fits_converge_on_the_200000_customer_synthetic_shop():
    from tools.bench import run_clv_stage_benchmark

    result = run_clv_stage_benchmark(customers=200_000)
    print(f"CLV stage at 200,000 customers: {result['stage_seconds']} s ({result['stage_cpu_seconds']} s CPU)")
    assert result["converged"] and result["orders"] > 2_500_000
