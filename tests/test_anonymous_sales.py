"""Sales with no customer (walk-in tickets of a point of sale): kept as anonymous sales, not rejected, while they
are a minority of the rows; counted in sales totals (revenue, orders, units, by category or by an order attribute),
never in customers, repeat rates, audiences or models. Checked against pandas on the raw file."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.loading import load_dataset
from tools.workspace import Workspace
from tests.loaded import loaded
from tests.test_spark_parity import spark  # noqa: F401  (the session's one SparkSession)

CATEGORIES = ("Coffee", "Tea", "Pastry", "Sandwich")
LOCATIONS = ("Harbour St", "Market Sq", "Station Rd")


def write_till(path, *, blank_share: float, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A café's till export: tickets of one to three lines, a share of them with no customer; a customers file."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"Customer ID": [f"C{i:03d}" for i in range(40)],
                              "Country": ["Germany" if i % 3 == 0 else "France" for i in range(40)]})
    rows = []
    for t in range(400):
        anonymous = rng.random() < blank_share
        customer = "" if anonymous else customers["Customer ID"][int(rng.integers(0, 40))]
        day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 180)))
        location = LOCATIONS[int(rng.integers(0, len(LOCATIONS)))]
        for _ in range(int(rng.integers(1, 4))):
            qty = int(rng.integers(1, 4))
            rows.append({"Transaction ID": f"T{t:05d}", "Customer ID": customer, "Date": day.date().isoformat(),
                         "Category": CATEGORIES[int(rng.integers(0, len(CATEGORIES)))], "Qty": qty,
                         "Net Sales": round(float(rng.uniform(2, 9)) * qty, 2), "Location": location})
    lines = pd.DataFrame(rows)
    lines.to_csv(path, index=False)
    customers.to_csv(path.with_name("customers.csv"), index=False)
    return lines, customers


@pytest.fixture(scope="module")
def till(tmp_path_factory):
    root = tmp_path_factory.mktemp("till")
    lines, customers = write_till(root / "till.csv", blank_share=0.4)
    with loaded(root / "till.csv", root / "home", customers=root / "customers.csv") as (report, ctx):
        yield report, lines, customers, ctx


def _ask(ctx, **args):
    result = call_tool(ctx, "query_metrics", args)
    return result, pd.DataFrame(result.facts["rows"])


def test_blank_customer_lines_are_kept_as_anonymous_sales_and_reported(till):
    from assistant.cli import format_load_report

    report, lines, _, ctx = till
    blank = lines[lines["Customer ID"] == ""]
    assert 0.3 < len(blank) / len(lines) < 0.5
    assert report["anonymous_sales"] == {"lines": len(blank), "revenue": pytest.approx(blank["Net Sales"].sum())}
    assert "missing customer id" not in report["rejected_by_reason"]
    assert report["rows_kept"] == len(lines) - len(blank)
    assert any(w.startswith(f"Anonymous sales kept: {len(blank):,} lines") and "not in customers or models" in w
               for w in report["warnings"])
    assert "anonymous sales" in format_load_report(report)
    stored = ctx.snapshot.query("SELECT * FROM anonymous_orders")
    assert len(stored) == len(blank) and stored["customer_id"].isna().all()
    assert list(stored.columns) == list(ctx.snapshot.query("SELECT * FROM orders LIMIT 0").columns)
    # customers and features never see them
    assert report["customers"] == lines.loc[lines["Customer ID"] != "", "Customer ID"].nunique()
    assert ctx.snapshot.scalar("SELECT count(*) FROM features WHERE customer_id IS NULL") == 0


def test_sales_totals_include_the_anonymous_lines(till):
    _, lines, _, ctx = till
    n_blank = int((lines["Customer ID"] == "").sum())
    result, rows = _ask(ctx, metrics=["revenue", "orders", "units", "order_lines", "aov"])
    row = rows.iloc[0]
    assert row["revenue"] == pytest.approx(lines["Net Sales"].sum())
    assert row["orders"] == lines["Transaction ID"].nunique()
    assert row["units"] == lines["Qty"].sum() and row["order_lines"] == len(lines)
    assert row["aov"] == pytest.approx(lines["Net Sales"].sum() / lines["Transaction ID"].nunique())
    assert f"incl. {n_blank:,} anonymous sales lines" in result.summary
    assert result.facts["anonymous_lines"] == n_blank

    result, rows = _ask(ctx, metrics=["revenue", "share_of_revenue"], by=["category"])
    want = lines.groupby("Category")["Net Sales"].sum()
    got = rows.set_index("category")
    for category, value in want.items():
        assert got.loc[category, "revenue"] == pytest.approx(value)
    assert got["share_of_revenue"].sum() == pytest.approx(1.0)
    assert "incl." in result.summary

    _, rows = _ask(ctx, metrics=["revenue"], by=["location"])  # an order attribute of the file
    want = lines.groupby("Location")["Net Sales"].sum()
    assert rows.set_index("location")["revenue"].to_dict() == pytest.approx(want.to_dict())

    _, rows = _ask(ctx, metrics=["revenue"], grain="month")
    month = pd.to_datetime(lines["Date"]).dt.to_period("M")
    assert rows["revenue"].sum() == pytest.approx(lines["Net Sales"].sum())
    assert sorted(rows["revenue"].round(6)) == sorted(lines.groupby(month)["Net Sales"].sum().round(6))


def test_anything_about_customers_leaves_them_out(till):
    _, lines, customers, ctx = till
    known = lines[lines["Customer ID"] != ""]
    result, rows = _ask(ctx, metrics=["customers"])
    assert rows.iloc[0]["customers"] == known["Customer ID"].nunique()
    assert "anonymous" not in result.summary and not result.facts["anonymous_lines"]
    per = known.groupby("Customer ID")["Transaction ID"].nunique()
    _, rows = _ask(ctx, metrics=["repeat_purchase_rate", "revenue_per_customer"])
    assert rows.iloc[0]["repeat_purchase_rate"] == pytest.approx((per >= 2).mean())
    assert rows.iloc[0]["revenue_per_customer"] == pytest.approx(known["Net Sales"].sum() / len(per))
    # an audience: revenue of customers in Germany
    germans = set(customers.loc[customers["Country"] == "Germany", "Customer ID"])
    result, rows = _ask(ctx, metrics=["revenue"], audience={"country": "Germany"})
    assert rows.iloc[0]["revenue"] == pytest.approx(known.loc[known["Customer ID"].isin(germans), "Net Sales"].sum())
    assert "anonymous" not in result.summary
    # a customer field as a dimension
    _, rows = _ask(ctx, metrics=["revenue"], by=["country"])
    assert rows["revenue"].sum() == pytest.approx(known["Net Sales"].sum())


def test_the_chinese_answer_says_the_anonymous_sales_are_counted():
    from assistant.planning_compose import _zh_scope

    assert "含匿名销售 1,234 行" in _zh_scope({}, {"until": "2024-06-30", "anonymous_lines": 1234})
    assert "匿名" not in _zh_scope({}, {"until": "2024-06-30", "anonymous_lines": None})


def test_a_file_where_most_lines_have_no_customer_is_still_refused(tmp_path):
    write_till(tmp_path / "till.csv", blank_share=0.7)
    with pytest.raises(TierwiseError, match=r"Refused to load 'till.csv'.*missing customer id"):
        load_dataset(Workspace(tmp_path / "home"), tmp_path / "till.csv", build_models=False)


def test_spark_answers_the_same_with_the_anonymous_sales(tmp_path, spark, monkeypatch):
    """The Spark engine reads the store's anonymous_orders too: the same numbers and the same sentence."""
    from tools import engine

    write_till(tmp_path / "till.csv", blank_share=0.4)
    ws = Workspace(tmp_path / "home")
    load_dataset(ws, tmp_path / "till.csv", customers=tmp_path / "customers.csv", build_models=False)
    for args in ({"metrics": ["revenue", "orders", "aov"], "by": ["category"]}, {"metrics": ["revenue", "customers"]}):
        answers = {}
        for name in engine.ENGINES:
            monkeypatch.setenv("TIERWISE_ENGINE", name)
            ds = Dataset(ws)
            snapshot = ds.snapshot()
            try:
                answers[name] = call_tool(ToolContext(snapshot=snapshot, exports_dir=ds.exports_dir), "query_metrics",
                                          args)
            finally:
                snapshot.close()
        duck, spark_answer = answers["duckdb"], answers["spark"]
        assert spark_answer.summary == duck.summary
        assert spark_answer.facts["anonymous_lines"] == duck.facts["anonymous_lines"]
        assert bool(duck.facts["anonymous_lines"]) == ("customers" not in args["metrics"])
        key = args.get("by", [None])[0]
        a, b = (pd.DataFrame(x.facts["rows"]) for x in (duck, spark_answer))
        if key:
            a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=1e-9)


def test_the_overview_counts_anonymous_sales_in_orders_and_revenue_not_customers(till):
    from assistant.planning_compose import _overview

    _, lines, _, ctx = till
    result = call_tool(ctx, "dataset_overview", {})
    known = lines[lines["Customer ID"] != ""]
    assert result.facts["revenue"] == pytest.approx(lines["Net Sales"].sum(), abs=0.01)
    assert result.facts["orders"] == lines["Transaction ID"].nunique()
    assert result.facts["customers"] == known["Customer ID"].nunique()
    n = int((lines["Customer ID"] == "").sum())
    assert result.facts["anonymous_lines"] == n and f"incl. {n:,} anonymous sales lines" in result.summary
    assert f"含匿名销售 {n:,} 行" in _overview("zh", None, result)
