"""Every catalog metric checked against pandas: a total, one breakdown, one monthly series and one audience,
on the demo world and on a shop export with another schema (no order ids, extra columns, cancellations).

The pandas side reads the lines and computes each metric from its plain definition, independently of the
compiler; both must agree to 1e-6.
"""

from __future__ import annotations

import re
from datetime import date

import numpy as np
import pandas as pd
import pytest

from tools.catalog import call_tool
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.errors import TierwiseError
from tools.loading import load_dataset
from tools.semantic.binding import bind
from tools.workspace import Workspace

REFUND = ("refund", "return")


# ---------------------------------------------------------------- the independent pandas side

class World:
    """The clean lines of a dataset as pandas frames, and each metric computed from its definition."""

    def __init__(self, ctx: ToolContext):
        snap = ctx.snapshot
        self.as_of = pd.Timestamp(snap.as_of)
        self.lines = snap.query("SELECT * FROM orders")
        self.cancelled = snap.query("SELECT * FROM cancelled_orders")
        self.customers = snap.query("SELECT * FROM customers")
        self.view = snap.query("SELECT * FROM customer_view") if "customer_view" in snap.tables else None
        # sales lines with no customer (kept by the loader as anonymous sales): in sales totals, never about customers
        self.anonymous = snap.query("SELECT * FROM anonymous_orders" if "anonymous_orders" in snap.tables
                                    else "SELECT * FROM orders LIMIT 0")
        for frame in (self.lines, self.cancelled, self.anonymous):
            frame["order_date"] = pd.to_datetime(frame["order_date"])
            day = frame["order_date"].dt.date.astype(str)  # an order: an order id (or the day) of a customer on one day
            frame["okey"] = frame["customer_id"].fillna("") + "|" + frame["order_id"].fillna(day) + "|" + day
        self.lines = self.lines[self.lines["order_date"] <= self.as_of]
        self.cancelled = self.cancelled[self.cancelled["order_date"] <= self.as_of]
        self.anonymous = self.anonymous[self.anonymous["order_date"] <= self.as_of]
        # every completed sale: what a sales metric asked with no customer in the question counts
        self.sales = pd.concat([self.lines, self.anonymous], ignore_index=True) if len(self.anonymous) else self.lines
        seen = self.lines.groupby("customer_id")["order_date"]
        self.first = seen.min()
        self.last = seen.max()

    def attach(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """A customer-level column joined onto lines."""
        if column in frame:
            return frame
        if column in self.customers:
            return frame.merge(self.customers[["customer_id", column]], on="customer_id", how="left")
        return frame.merge(self.view[["customer_id", column]], on="customer_id", how="left")

    def value(self, metric: str, g: pd.DataFrame, c: pd.DataFrame, *, start=None, end=None, period=None) -> float:
        """One metric over completed lines g and cancelled lines c of one group."""
        per_customer = g.groupby("customer_id")["okey"].nunique()
        if metric == "revenue":
            return g["amount"].sum()
        if metric == "orders":
            return g["okey"].nunique()
        if metric == "order_lines":
            return len(g)
        if metric == "units":
            return g["quantity"].sum()
        if metric == "customers":
            return g["customer_id"].nunique()
        if metric == "new_customers":
            firsts = self.first.reindex(g["customer_id"].unique())
            if period is not None:
                return int((firsts.dt.to_period("M") == period).sum())
            ok = firsts <= (end or self.as_of)
            if start is not None:
                ok &= firsts >= start
            return int(ok.sum())
        if metric == "returning_customers":
            if start is None and period is None:  # all history: every first order is inside; came back = 2+ orders
                return int((per_customer >= 2).sum())
            return self.value("customers", g, c, start=start, end=end, period=period) - self.value(
                "new_customers", g, c, start=start, end=end, period=period)
        if metric == "returning_customer_rate":
            return self.value("returning_customers", g, c, start=start, end=end, period=period) / g["customer_id"].nunique()
        if metric == "aov":
            return g["amount"].sum() / g["okey"].nunique()
        if metric == "revenue_per_customer":
            return g["amount"].sum() / g["customer_id"].nunique()
        if metric == "items_per_order":
            return g["quantity"].sum() / g["okey"].nunique()
        if metric == "purchase_frequency":
            return g["okey"].nunique() / g["customer_id"].nunique()
        if metric == "repeat_purchase_rate":
            return (per_customer >= 2).mean()
        if metric == "avg_days_between_orders":
            span = g.groupby("customer_id")["order_date"].agg(lambda s: (s.max() - s.min()).days)
            repeat = per_customer >= 2
            return span[repeat].sum() / (per_customer[repeat] - 1).sum()
        if metric == "cancelled_orders":
            return c["okey"].nunique()
        if metric == "cancelled_revenue":
            return c["amount"].sum()
        # orders placed: an order with a completed and a cancelled line (a partial refund) is one order
        placed = len(set(c["okey"]) | set(g["okey"]))
        refunded = c[c["status"].str.lower().str.contains("|".join(REFUND), na=False)]
        if metric == "cancellation_rate":
            return c["okey"].nunique() / placed
        if metric == "refund_rate":
            return refunded["okey"].nunique() / placed
        if metric == "refunded_orders":
            return refunded["okey"].nunique()
        if metric == "refunded_revenue":
            return refunded["amount"].sum()
        if metric == "first_order_date":
            return g["order_date"].min()
        if metric == "last_order_date":
            return g["order_date"].max()
        ids = g["customer_id"].unique()
        if metric == "avg_days_since_last_order":
            return (self.as_of - self.last.reindex(ids)).dt.days.mean()
        if metric in ("expected_value_12m", "churn_probability", "revenue_at_risk", "p_alive"):
            v = self.view.set_index("customer_id").reindex(ids)
            return {"expected_value_12m": v["clv_12m"].sum(), "churn_probability": v["churn_probability"].mean(),
                    "revenue_at_risk": (v["clv_12m"] * v["churn_probability"]).sum(),
                    "p_alive": v["p_alive"].mean()}[metric]
        agg, column = metric.split("_", 1)
        if column in g:  # an order attribute: over lines
            return g[column].sum() if agg == "sum" else g[column].mean()
        v = self.customers.set_index("customer_id").reindex(ids)[column].astype(float)
        return v.sum() if agg == "sum" else v.mean()


def _close(got, want, what):
    if isinstance(want, pd.Timestamp):
        assert pd.Timestamp(got) == want, what
        return
    want = float(want) if want is not None and not pd.isna(want) else None
    if want is None:
        assert got is None or pd.isna(got), what
    else:
        assert got == pytest.approx(want, rel=1e-6, abs=1e-6), what


def _rows(result) -> pd.DataFrame:
    return pd.DataFrame(result.facts["rows"])


def _metric_names(ctx) -> list[str]:
    return list(bind(ctx.snapshot).model.metrics)


# metrics about sales, not customers: they count the anonymous sales lines unless the question names customers
# (and the walk-ins' cancelled and refunded lines, kept with the cancelled ones with no customer)
SALES_METRICS = {"revenue", "orders", "order_lines", "units", "aov", "items_per_order", "first_order_date",
                 "last_order_date", "cancelled_orders", "cancelled_revenue", "cancellation_rate", "refund_rate",
                 "refunded_orders", "refunded_revenue"}


def check_metric(ctx, world: World, metric: str, *, by: str, audience_field: str, audience_value, since: str):
    """Total, breakdown by `by`, monthly series since `since`, and an audience: each against pandas."""
    lines, cancelled = ((world.sales, world.cancelled) if metric in SALES_METRICS
                        else (world.lines, world.cancelled[world.cancelled["customer_id"].notna()]))
    # total
    row = _rows(call_tool(ctx, "query_metrics", {"metrics": [metric]})).iloc[0]
    _close(row[metric], world.value(metric, lines, cancelled), f"{metric} total")
    # one categorical breakdown (a customer field as the dimension leaves the anonymous sales out)
    result = _rows(call_tool(ctx, "query_metrics", {"metrics": [metric], "by": [by], "limit": 1000}))
    by_lines = lines if by in world.lines.columns else world.lines
    g_lines, g_cancel = world.attach(by_lines, by), world.attach(cancelled, by)
    for value, g in g_lines.groupby(by):
        got = result.loc[result[by].astype(str) == str(value), metric]
        assert len(got) == 1, f"{metric} by {by}: group {value} missing"
        _close(got.iloc[0], world.value(metric, g, g_cancel[g_cancel[by] == value]), f"{metric} by {by}={value}")
    # a monthly series over a window
    start = pd.Timestamp(since)
    series = _rows(call_tool(ctx, "query_metrics", {"metrics": [metric], "grain": "month", "since": since}))
    window = lines[lines["order_date"] >= start]
    cwindow = cancelled[cancelled["order_date"] >= start]
    months = window["order_date"].dt.to_period("M")
    assert len(series) == months.nunique(), f"{metric} per month: periods"
    for period, g in window.groupby(months):
        got = series.loc[pd.to_datetime(series["period"]).dt.to_period("M") == period, metric]
        c = cwindow[cwindow["order_date"].dt.to_period("M") == period]
        _close(got.iloc[0], world.value(metric, g, c, period=period), f"{metric} in {period}")
    # an audience (customer grain)
    row = _rows(call_tool(ctx, "query_metrics", {"metrics": [metric], "audience": {audience_field: audience_value}})).iloc[0]
    who = world.attach(world.customers[["customer_id"]], audience_field)
    flag = who[audience_field]
    if flag.dtype == bool or str(flag.dtype) == "boolean":
        ids = set(who.loc[flag.fillna(False).astype(bool) == bool(audience_value), "customer_id"])
    else:
        ids = set(who.loc[flag.astype(str).str.lower() == str(audience_value).lower(), "customer_id"])
    lines = world.lines  # an audience is of customers
    _close(row[metric], world.value(metric, lines[lines["customer_id"].isin(ids)],
                                    cancelled[cancelled["customer_id"].isin(ids)]), f"{metric} for {audience_field}")


# ---------------------------------------------------------------- the demo world

@pytest.fixture(scope="module")
def demo_ctx(built_home):
    ds = Dataset(Workspace(built_home))
    return ToolContext(snapshot=ds.snapshot(), exports_dir=ds.exports_dir)


@pytest.fixture(scope="module")
def demo_world(demo_ctx):
    return World(demo_ctx)


def test_the_demo_catalog_holds_every_metric_the_issue_names(demo_ctx):
    names = set(_metric_names(demo_ctx))
    assert {"revenue", "orders", "order_lines", "units", "customers", "new_customers", "returning_customers", "aov",
            "revenue_per_customer", "items_per_order", "cancelled_orders", "cancellation_rate", "cancelled_revenue",
            "repeat_purchase_rate", "purchase_frequency", "avg_days_between_orders", "share_of_revenue",
            "expected_value_12m", "churn_probability", "revenue_at_risk", "p_alive"} <= names


@pytest.mark.parametrize("metric", [
    "revenue", "orders", "order_lines", "units", "customers", "new_customers", "returning_customers",
    "returning_customer_rate", "aov", "revenue_per_customer", "items_per_order", "purchase_frequency", "repeat_purchase_rate", "avg_days_between_orders",
    "cancelled_orders", "cancelled_revenue", "cancellation_rate", "refund_rate", "refunded_orders", "refunded_revenue",
    "expected_value_12m", "churn_probability", "revenue_at_risk", "p_alive", "avg_days_since_last_order",
    "first_order_date", "last_order_date"])
def test_every_demo_metric_agrees_with_pandas(demo_ctx, demo_world, metric):
    check_metric(demo_ctx, demo_world, metric, by="category", audience_field="country", audience_value="Germany",
                 since="2025-07-01")


def test_every_catalog_metric_of_the_demo_is_checked(demo_ctx):
    checked = {"revenue", "orders", "order_lines", "units", "customers", "new_customers", "returning_customers", "aov",
               "revenue_per_customer", "items_per_order", "purchase_frequency", "repeat_purchase_rate",
               "avg_days_between_orders", "cancelled_orders", "cancelled_revenue", "cancellation_rate",
               "expected_value_12m", "churn_probability", "revenue_at_risk", "p_alive", "avg_days_since_last_order",
               "first_order_date", "last_order_date", "share_of_revenue", "refund_rate", "returning_customer_rate",
               "refunded_orders", "refunded_revenue"}
    numeric_attributes = {m for m in _metric_names(demo_ctx) if m.startswith(("sum_", "avg_"))
                          and m != "avg_days_between_orders" and m != "avg_days_since_last_order"}
    assert set(_metric_names(demo_ctx)) - checked - numeric_attributes == set()


def test_shares_of_revenue_sum_to_one_and_match_pandas(demo_ctx, demo_world):
    rows = _rows(call_tool(demo_ctx, "query_metrics", {"metrics": ["revenue", "share_of_revenue"], "by": ["country"]}))
    assert rows["share_of_revenue"].sum() == pytest.approx(1.0)
    lines = demo_world.attach(demo_world.lines, "country")
    want = lines.groupby("country")["amount"].sum() / lines["amount"].sum()
    for _, r in rows.iterrows():
        assert r["share_of_revenue"] == pytest.approx(want[r["country"]], abs=1e-6)


def test_order_filters_and_audiences_give_two_different_numbers_and_say_which(demo_ctx, demo_world):
    lines = demo_world.lines
    aug = (lines["order_date"] >= "2025-08-01") & (lines["order_date"] <= "2025-08-31")
    orders_of = call_tool(demo_ctx, "query_metrics", {"metrics": ["revenue"], "filters": {"category": "electronics"},
                                                      "since": "2025-08-01", "until": "2025-08-31"})
    buyers = set(lines.loc[lines["category"] == "Electronics", "customer_id"])
    customers_of = call_tool(demo_ctx, "query_metrics", {"metrics": ["revenue"], "audience": {"category": "Electronics"},
                                                         "since": "2025-08-01", "until": "2025-08-31"})
    sales = demo_world.sales  # an order filter alone: the anonymous sales count
    in_aug = (sales["order_date"] >= "2025-08-01") & (sales["order_date"] <= "2025-08-31")
    want_orders = sales.loc[in_aug & (sales["category"] == "Electronics"), "amount"].sum()
    want_customers = lines.loc[aug & lines["customer_id"].isin(buyers), "amount"].sum()
    assert want_customers > want_orders * 1.2
    assert _rows(orders_of).iloc[0]["revenue"] == pytest.approx(want_orders)
    assert _rows(customers_of).iloc[0]["revenue"] == pytest.approx(want_customers)
    assert "order lines where category = Electronics" in orders_of.summary
    assert "customers who bought Electronics" in customers_of.summary


def test_bought_one_category_but_never_another_is_set_logic(demo_ctx, demo_world):
    lines = demo_world.lines
    books = set(lines.loc[lines["category"] == "Books", "customer_id"])
    toys = set(lines.loc[lines["category"] == "Toys", "customer_id"])
    result = call_tool(demo_ctx, "query_metrics", {"metrics": ["customers", "revenue"], "audience": [
        {"field": "category", "op": "=", "value": "Books"}, {"field": "category", "op": "!=", "value": "Toys"},
        {"field": "country", "op": "!=", "value": "Germany"}]})
    german = set(demo_world.customers.loc[demo_world.customers["country"] == "Germany", "customer_id"])
    ids = (books - toys) - german
    row = _rows(result).iloc[0]
    assert row["customers"] == len(ids)
    assert row["revenue"] == pytest.approx(lines.loc[lines["customer_id"].isin(ids), "amount"].sum())


def test_spent_more_than_is_a_customer_audience(demo_ctx, demo_world):
    spend = demo_world.lines.groupby("customer_id")["amount"].sum()
    row = _rows(call_tool(demo_ctx, "query_metrics", {"metrics": ["customers"], "audience": {"total_spend": {">": 2000}}})).iloc[0]
    assert row["customers"] == int((spend > 2000).sum())


def test_windows_are_relative_to_the_as_of_date(demo_ctx, demo_world):
    lines = demo_world.sales
    as_of = demo_world.as_of
    row = _rows(call_tool(demo_ctx, "query_metrics", {"metrics": ["revenue"], "since": "last_60_days"})).iloc[0]
    assert row["revenue"] == pytest.approx(lines.loc[lines["order_date"] > as_of - pd.Timedelta(days=60), "amount"].sum())


def test_compare_with_the_previous_year(demo_ctx, demo_world):
    lines = demo_world.sales
    row = _rows(call_tool(demo_ctx, "query_metrics", {"metrics": ["orders"], "since": "2025-03-01", "until": "2025-05-31",
                                                      "compare": "previous_year"})).iloc[0]
    now = lines[(lines["order_date"] >= "2025-03-01") & (lines["order_date"] <= "2025-05-31")]["okey"].nunique()
    then = lines[(lines["order_date"] >= "2024-03-01") & (lines["order_date"] <= "2024-05-31")]["okey"].nunique()
    assert (row["orders"], row["orders_previous"]) == (now, then)
    assert row["orders_change"] == pytest.approx((now - then) / then)


def test_top_n_sorts_by_the_asked_metric(demo_ctx, demo_world):
    rows = _rows(call_tool(demo_ctx, "query_metrics", {"metrics": ["units"], "by": ["product"], "sort": "units", "limit": 3}))
    want = demo_world.sales.groupby("product")["quantity"].sum().sort_values(ascending=False).head(3)
    assert rows["product"].tolist() == want.index.tolist()
    assert rows["units"].tolist() == pytest.approx(want.tolist())


def test_unknown_names_get_the_closest_valid_ones(demo_ctx):
    with pytest.raises(TierwiseError, match="Did you mean revenue"):
        call_tool(demo_ctx, "query_metrics", {"metrics": ["revenu"]})
    with pytest.raises(TierwiseError, match="Unknown dimension 'countri'.*country"):
        call_tool(demo_ctx, "query_metrics", {"by": ["countri"]})
    with pytest.raises(TierwiseError, match="Unknown country 'Narnia'.*Germany"):
        call_tool(demo_ctx, "query_metrics", {"filters": {"country": "Narnia"}})
    with pytest.raises(TierwiseError, match="category is a categorical field"):
        call_tool(demo_ctx, "query_metrics", {"filters": {"category": {">": "Books"}}})


def test_hostile_values_never_reach_sql(demo_ctx):
    with pytest.raises(TierwiseError, match="Unknown category"):
        call_tool(demo_ctx, "query_metrics", {"filters": {"category": "Books' OR 1=1 --"}})
    with pytest.raises(TierwiseError):
        call_tool(demo_ctx, "query_metrics", {"metrics": ["revenue; DROP TABLE orders"]})


def test_charts_fit_the_shape(demo_ctx):
    single = call_tool(demo_ctx, "query_metrics", {"metrics": ["aov"]})
    bars = call_tool(demo_ctx, "query_metrics", {"metrics": ["aov"], "by": ["channel"]})
    lines = call_tool(demo_ctx, "query_metrics", {"metrics": ["aov"], "grain": "month"})
    assert single.chart is None
    assert bars.chart["data"][0]["type"] == "bar"
    assert lines.chart["data"][0]["type"] == "scatter" and lines.chart["data"][0]["mode"].startswith("lines")
    assert lines.tables[0].rows[0][0].split()[0] in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                                                      "Oct", "Nov", "Dec")


# ---------------------------------------------------------------- a shop export with another schema

def write_shop(path, seed: int = 3) -> pd.DataFrame:
    """An electronics shop's export: no order ids (an order is a customer-day), extra columns at both grains,
    messy payment spellings and a status with cancellations and returns."""
    rng = np.random.default_rng(seed)
    n_customers = 400
    products = {"Laptop": ("Computers", 900), "Tablet": ("Computers", 400), "Smartphone": ("Phones", 700),
                "Smartwatch": ("Wearables", 250), "Headphones": ("Audio", 120), "Speaker": ("Audio", 90)}
    pays = ["PayPal", "Paypal", "paypal ", "Credit Card", "credit card", "Bank Transfer", "Cash on Delivery"]
    rows = []
    for i in range(n_customers):
        cid = f"CU-{1000 + i}"
        member = rng.random() < 0.4
        age = int(rng.integers(18, 75))
        n = int(rng.integers(1, 9))
        days = np.sort(rng.integers(0, 700, n))
        for d in days:
            ship = ["Standard", "Express", "Same-Day", "Store Pickup"][int(rng.integers(0, 4))]
            for _ in range(int(rng.integers(1, 3))):
                prod = list(products)[int(rng.integers(0, len(products)))]
                cat, price = products[prod]
                qty = int(rng.integers(1, 4))
                status = rng.choice(["Completed", "Completed", "Completed", "Completed", "Cancelled", "Returned"],
                                    p=[.3, .3, .2, .1, .06, .04])
                rows.append({"Customer Ref": cid, "Purchase Date": (date(2023, 1, 1) + pd.Timedelta(days=int(d))).isoformat(),
                             "Item": prod, "Product Category": cat, "Qty": qty,
                             "Total Price": round(price * qty * float(rng.uniform(0.8, 1.1)), 2),
                             "Payment Method": pays[int(rng.integers(0, len(pays)))],
                             "Loyalty Member": "Yes" if member else "No", "Customer Age": age,
                             "Rating": int(rng.integers(1, 6)), "Order Status": status, "Shipping Type": ship,
                             "Add-on Total": round(float(rng.choice([0, 0, 15, 30])), 2)})
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False)
    return frame


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("shop")
    raw = write_shop(root / "shop.csv")
    home = root / "home"
    load_dataset(Workspace(home), root / "shop.csv")
    ds = Dataset(Workspace(home))
    ctx = ToolContext(snapshot=ds.snapshot(), exports_dir=ds.exports_dir)
    return ctx, raw


def _attribute(ctx, label: str) -> dict:
    for a in ctx.snapshot.meta.get("attributes", []):
        if a.get("label") == label or a.get("source_column") == label:
            return a
    raise AssertionError(f"no attribute for {label}: {ctx.snapshot.meta.get('attributes')}")


def test_the_shop_keeps_its_extra_columns_at_their_grain(shop):
    ctx, _ = shop
    assert _attribute(ctx, "Payment Method")["grain"] == "order"
    assert _attribute(ctx, "Rating")["type"] == "numeric"
    assert _attribute(ctx, "Loyalty Member")["grain"] == "customer"
    assert _attribute(ctx, "Customer Age")["grain"] == "customer"


SHOP_METRICS = ["revenue", "orders", "order_lines", "units", "customers", "new_customers", "aov", "items_per_order",
                "repeat_purchase_rate", "avg_days_between_orders", "cancelled_orders", "cancelled_revenue",
                "cancellation_rate", "refund_rate", "refunded_orders", "refunded_revenue", "expected_value_12m",
                "churn_probability"]


# "Customer Age" fills the contract's age (a customer field named with a qualifier), so its average is avg_age
@pytest.mark.parametrize("metric", SHOP_METRICS + ["avg_rating", "sum_add_on_total", "avg_age"])
def test_every_shop_metric_agrees_with_pandas(shop, metric):
    ctx, _ = shop
    world = World(ctx)
    pay = _attribute(ctx, "Payment Method")["name"]
    member = _attribute(ctx, "Loyalty Member")["name"]
    check_metric(ctx, world, metric, by=pay, audience_field=member, audience_value=True, since="2024-06-01")


def test_the_shop_answers_from_the_raw_file(shop):
    """Numbers straight from the raw export with pandas: completed statuses only, an order per customer-day."""
    ctx, raw = shop
    done = raw[raw["Order Status"] == "Completed"]
    pay = _attribute(ctx, "Payment Method")["name"]
    rows = _rows(call_tool(ctx, "query_metrics", {"metrics": ["revenue", "orders", "aov"], "by": [pay]}))
    canon = done["Payment Method"].str.strip().str.lower().str.replace(" ", "")
    for key, g in done.groupby(canon):
        got = rows[rows[pay].str.strip().str.lower().str.replace(" ", "") == key].iloc[0]
        assert got["revenue"] == pytest.approx(g["Total Price"].sum())
        assert got["orders"] == g.groupby(["Customer Ref", "Purchase Date"]).ngroups
    assert len(rows) == canon.nunique()
    total = call_tool(ctx, "query_metrics", {"metrics": ["cancellation_rate", "cancelled_revenue"]})
    gone = raw[raw["Order Status"] != "Completed"]
    n_gone = gone.groupby(["Customer Ref", "Purchase Date"]).ngroups
    n_placed = raw.groupby(["Customer Ref", "Purchase Date"]).ngroups  # a partly cancelled order is one order
    assert n_placed < n_gone + raw[raw["Order Status"] == "Completed"].groupby(["Customer Ref", "Purchase Date"]).ngroups
    row = _rows(total).iloc[0]
    assert row["cancellation_rate"] == pytest.approx(n_gone / n_placed)
    assert row["cancelled_revenue"] == pytest.approx(gone["Total Price"].sum())
    assert "customer-day" in total.summary


def test_laptop_but_never_smartwatch_on_the_shop(shop):
    ctx, raw = shop
    done = raw[raw["Order Status"] == "Completed"]
    laptop = set(done.loc[done["Item"] == "Laptop", "Customer Ref"])
    watch = set(done.loc[done["Item"] == "Smartwatch", "Customer Ref"])
    rows = _rows(call_tool(ctx, "query_metrics", {"metrics": ["customers"], "audience": [
        {"field": "product", "op": "=", "value": "laptop"}, {"field": "product", "op": "!=", "value": "smartwatch"}]}))
    assert rows.iloc[0]["customers"] == len(laptop - watch)


def test_age_bands_of_the_shop_count_every_customer_once(shop):
    ctx, raw = shop
    age = _attribute(ctx, "Customer Age")["name"]
    rows = _rows(call_tool(ctx, "query_metrics", {"metrics": ["customers"], "by": [f"{age}_band"]}))
    done = raw[raw["Order Status"] == "Completed"]
    assert rows["customers"].sum() == done["Customer Ref"].nunique()


def test_money_carries_the_workspace_currency_once_set(built_home, tmp_path, cli):
    import shutil

    from assistant.registry import ToolRegistry
    from tools.settings import write_settings

    home = tmp_path / "copy"
    shutil.copytree(built_home, home)
    registry = ToolRegistry(Dataset(Workspace(home)), role="marketer")
    plain = registry.call("query_metrics", {"metrics": ["aov"]}).result.summary
    assert "EUR" not in plain
    write_settings(home, currency="eur")
    summary = registry.call("query_metrics", {"metrics": ["aov"]}).result.summary
    assert re.search(r"Average order value: EUR \d", summary), summary
    with pytest.raises(TierwiseError, match="not a 3-letter code"):
        write_settings(home, currency="euros!")


# ---------------------------------------------------------------- comparisons with the period before

def _revenue_between(raw: pd.DataFrame, start: str, end: str) -> float:
    done = raw[raw["Order Status"] == "Completed"]
    day = pd.to_datetime(done["Purchase Date"])
    return float(done[(day >= start) & (day <= end)]["Total Price"].sum())


@pytest.mark.parametrize("since, until, before", [
    ("2024-04-01", "2024-04-30", ("2024-03-01", "2024-03-31")),   # a month: the calendar month before
    ("2024-03-01", "2024-03-31", ("2024-02-01", "2024-02-29")),   # a leap February, to its last day
    ("2024-04-01", "2024-06-30", ("2024-01-01", "2024-03-31")),   # a quarter: the quarter before
    ("2023-07-01", "2023-12-31", ("2023-01-01", "2023-06-30")),   # a half year of whole months: the half before
    ("2024-02-01", "2024-04-30", ("2023-11-01", "2024-01-31")),   # three whole months: the three before
    ("2024-04-10", "2024-04-29", ("2024-03-21", "2024-04-09")),   # no calendar window: the same number of days before
])
def test_the_previous_period_of_a_calendar_window_is_the_calendar_one_before(shop, since, until, before):
    ctx, raw = shop
    result = call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "since": since, "until": until,
                                              "compare": "previous_period"})
    row = _rows(result).iloc[0]
    assert row["revenue"] == pytest.approx(_revenue_between(raw, since, until))
    assert row["revenue_previous"] == pytest.approx(_revenue_between(raw, *before))
    assert (result.facts["previous_since"], result.facts["previous_until"]) == before
    assert f"({before[0]} to {before[1]})" in result.summary


def test_a_rolling_window_and_the_month_to_date_step_back_as_they_should(shop):
    from tools.semantic.compiler import previous_window
    from tools.semantic.query import MetricQuery

    def window(start, end):
        q = MetricQuery(metrics=[], by=[], grain=None, filters=[], audience=[], start=date.fromisoformat(start),
                        end=date.fromisoformat(end), as_of=date.fromisoformat(end), compare="previous_period")
        return tuple(d.isoformat() for d in previous_window(q))

    assert window("2024-06-01", "2024-06-18") == ("2024-05-01", "2024-05-18")    # this month so far: the same days before
    assert window("2024-04-01", "2024-05-20") == ("2024-01-01", "2024-02-20")    # this quarter so far
    assert window("2024-01-01", "2024-08-20") == ("2023-01-01", "2023-08-20")    # this year so far
    assert window("2024-05-22", "2024-06-20") == ("2024-04-22", "2024-05-21")    # the last 30 days: the 30 before
    assert window("2023-01-01", "2023-12-31") == ("2022-01-01", "2022-12-31")    # a year: the year before
    ctx, raw = shop
    as_of = ctx.snapshot.as_of
    year = call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "since": "2024", "compare": "previous_period"})
    assert (year.facts["previous_since"], year.facts["previous_until"]) == (
        "2023-01-01", as_of.replace(year=as_of.year - 1).isoformat())  # the year to the as-of date: the same days before
    assert _rows(year).iloc[0]["revenue_previous"] == pytest.approx(
        _revenue_between(raw, "2023-01-01", as_of.replace(year=as_of.year - 1).isoformat()))
    row = _rows(call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "since": "last_30_days",
                                                 "compare": "previous_period"})).iloc[0]
    start = as_of - pd.Timedelta(days=29)
    assert row["revenue_previous"] == pytest.approx(_revenue_between(
        raw, (start - pd.Timedelta(days=30)).isoformat(), (start - pd.Timedelta(days=1)).isoformat()))


# ---------------------------------------------------------------- whether a field has a value

def test_not_null_and_is_null_split_the_lines_and_the_customers(tmp_path):
    from tests.pet_shop import completed, write_pet_shop

    done = completed(write_pet_shop(tmp_path / "pets.csv"))
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "pets.csv", build_models=False)
    ds = Dataset(Workspace(tmp_path / "home"))
    ctx = ToolContext(snapshot=ds.snapshot(), exports_dir=ds.exports_dir)
    coded = done["Discount Code"].fillna("") != ""
    for op, part in (("not_null", done[coded]), ("is_null", done[~coded])):
        result = call_tool(ctx, "query_metrics", {"metrics": ["orders", "revenue"],
                                                  "filters": [{"field": "discount_code", "op": op}]})
        row = _rows(result).iloc[0]
        assert row["orders"] == part["Order ID"].nunique() and row["revenue"] == pytest.approx(part["Line Total"].sum())
        assert ("has a value" if op == "not_null" else "is blank") in result.summary
    users = set(done[coded]["Customer ID"])
    never = _rows(call_tool(ctx, "query_metrics", {"metrics": ["customers"], "audience": {"discount_code": {"is null": True}}}))
    assert never.iloc[0]["customers"] == done["Customer ID"].nunique() - len(users)
    # a breakdown shows the rows without a value as (blank), never nan or None; so does a customer attribute
    result = call_tool(ctx, "query_metrics", {"metrics": ["customers"], "by": ["country"]})
    rows = _rows(result).set_index("country")["customers"]
    assert rows["(blank)"] == done[done["Billing Country"].fillna("") == ""]["Customer ID"].nunique()
    assert "nan" not in result.summary and "None" not in result.summary


def test_a_country_value_is_matched_through_the_country_table(tmp_path):
    from tests.pet_shop import completed, write_pet_shop
    from tools.audience import AudienceFilters, resolve_filters

    done = completed(write_pet_shop(tmp_path / "pets.csv"))
    load_dataset(Workspace(tmp_path / "home"), tmp_path / "pets.csv", build_models=False)
    ds = Dataset(Workspace(tmp_path / "home"))
    ctx = ToolContext(snapshot=ds.snapshot(), exports_dir=ds.exports_dir)
    want = done[done["Billing Country"] == "CA"]["Line Total"].sum()
    for named in ("Canada", "加拿大", "CAN", "ca"):
        rows = _rows(call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "audience": {"country": named}}))
        assert rows.iloc[0]["revenue"] == pytest.approx(want), named
    with pytest.raises(TierwiseError, match=r"There is no Australia in this data \((?:country|billing country) values: US"):
        call_tool(ctx, "query_metrics", {"metrics": ["revenue"], "audience": {"country": "Australia"}})
    # find_customers' country filter too
    assert resolve_filters(AudienceFilters(country="Germany"), {"countries": ["CA", "DE", "US"]}).country == "DE"
    assert resolve_filters(AudienceFilters(country="UK"), {"countries": ["United Kingdom", "France"]}).country == "United Kingdom"
