"""What changed between two snapshots: customers newly at high churn risk, tier and segment moves, KPIs outside
their usual range, new high-value customers; in chat (English and Chinese) and from the CLI."""

import shutil
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from tools import store
from tools.changes import MOVE_ROWS, SD_RANGE, USUAL_WEEKS, what_changed
from tools.context import ToolContext
from tools.dataset import Dataset
from tools.refresh import append_orders
from tools.settings import write_settings
from tools.workspace import Workspace

QUIET_DAYS = 40


def read(path, sql: str, params=None) -> pd.DataFrame:
    con = store.connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def write_orders(path, rows: list[dict]) -> str:
    frame = pd.DataFrame(rows)
    defaults = {"quantity": 1, "channel": "web", "status": "completed", "product": "Granola", "category": "Grocery"}
    for column, value in defaults.items():
        if column not in frame:
            frame[column] = value
    frame.to_csv(path, index=False)
    return str(path)


def context(home, role: str = "marketer") -> ToolContext:
    dataset = Dataset(Workspace(home))
    return ToolContext(snapshot=dataset.snapshot(), exports_dir=dataset.exports_dir, role=role, home=home)


@pytest.fixture(scope="module")
def quiet(built_home, tmp_path_factory):
    """The demo world after an append dated QUIET_DAYS after its as-of date in which only some customers buy: the
    others went quiet. Returns the workspace, the store before, and the quiet regulars expected to become overdue."""
    root = tmp_path_factory.mktemp("quiet")
    home = root / "ws"
    shutil.copytree(built_home, home)
    ws = Workspace(home)
    write_settings(home, models_max_age_days=QUIET_DAYS + 10)  # the build's models score the quiet weeks
    before = root / "before.duckdb"
    shutil.copy(ws.current_store(), before)
    as_of = date.fromisoformat(read(before, "SELECT value FROM meta WHERE key = 'as_of'").iloc[0, 0].strip('"'))
    state = read(before, """SELECT s.customer_id, s.churn_risk, s.expected_gap_days, f.recency_days, f.purchase_days
                            FROM scores s JOIN features f USING (customer_id) ORDER BY s.customer_id""")
    # regular buyers at low risk who, after QUIET_DAYS more without an order, are 1.5-3x past their own rhythm:
    # the risk rules call that overdue (high), not yet lapsed
    ratio = (state["recency_days"] + QUIET_DAYS) / state["expected_gap_days"].clip(lower=1)
    regular = state[(state["churn_risk"] == "low") & (state["purchase_days"] >= 4) & ratio.between(1.6, 3.0)]
    buyers = state[(state["churn_risk"] == "low") & ~state["customer_id"].isin(regular["customer_id"])].head(60)
    later = as_of + timedelta(days=QUIET_DAYS)
    rows = [{"order_id": f"Q{i}", "customer_id": c, "order_date": later.isoformat(), "amount": 30.0}
            for i, c in enumerate(buyers["customer_id"])]
    # a new customer buying big on three days: a new high-value customer
    rows += [{"order_id": f"BIG{i}", "customer_id": "NEWBIG1", "order_date": (later - timedelta(days=d)).isoformat(),
              "amount": 4000.0} for i, d in enumerate((0, 3, 6))]
    report = append_orders(ws, write_orders(root / "quiet.csv", rows))
    assert report["as_of"] == later.isoformat() and report["refit"] is None
    return {"ws": ws, "before": before, "quiet": regular["customer_id"].tolist(), "as_of": later}


def test_customers_who_go_quiet_are_named_as_newly_at_high_churn_risk(quiet):
    result = what_changed(context(quiet["ws"].home))
    now = read(quiet["ws"].current_store(), "SELECT customer_id, churn_risk, value_at_risk FROM scores")
    then = read(quiet["before"], "SELECT customer_id, churn_risk FROM scores")
    both = now.merge(then, on="customer_id", how="left", suffixes=("", "_before"))
    expected = both[(both["churn_risk"] == "high") & (both["churn_risk_before"] != "high")]
    newly = result.facts["newly_high_risk"]
    assert newly["customers"] == len(expected) > 0
    assert newly["value_at_risk"] == pytest.approx(expected["value_at_risk"].sum())
    # the quiet regulars the rules call overdue now are among those named
    gone_high = set(now[now["churn_risk"] == "high"]["customer_id"]) & set(quiet["quiet"])
    assert len(gone_high) >= 5
    assert gone_high <= set(expected["customer_id"])
    table = result.tables[0]
    assert table.total_rows == len(expected)
    shown = [row[table.columns.index("customer_id")] for row in table.rows]
    ranked = expected.sort_values(["value_at_risk", "customer_id"], ascending=[False, True])["customer_id"].head(len(shown))
    assert shown == ranked.tolist()  # most value at risk first
    assert newly["top"][0] == shown[0] and newly["top"][0] in result.summary
    assert all(row[table.columns.index("churn_risk_before")] != "high" for row in table.rows)


def test_tier_and_segment_moves_count_every_customer_who_moved(quiet):
    result = what_changed(context(quiet["ws"].home))
    now = read(quiet["ws"].current_store(), "SELECT customer_id, tier, segment FROM scores")
    then = read(quiet["before"], "SELECT customer_id, tier, segment FROM scores")
    both = now.merge(then, on="customer_id", suffixes=("", "_before"))
    for column, key in (("tier", "tier_moves"), ("segment", "segment_moves")):
        moved = both[both[column] != both[f"{column}_before"]]
        counted = moved.groupby([f"{column}_before", column]).size().sort_values(ascending=False)
        facts = result.facts[key]
        assert len(facts) == min(MOVE_ROWS, len(counted)) > 0
        assert [m["customers"] for m in facts] == counted.head(len(facts)).tolist()  # the biggest moves first
        assert (facts[0]["from"], facts[0]["to"]) in set(counted[counted == counted.iloc[0]].index)
    assert result.facts["segment_moved"] == int((both["segment"] != both["segment_before"]).sum())
    up = both[(both["tier_before"] == "low") & (both["tier"] != "low") | (both["tier_before"] == "mid") & (both["tier"] == "high")]
    assert result.facts["tier_up"] == len(up)


def test_a_new_customer_buying_big_is_a_new_high_value_customer(quiet):
    result = what_changed(context(quiet["ws"].home))
    tier = read(quiet["ws"].current_store(), "SELECT tier FROM scores WHERE customer_id = 'NEWBIG1'")
    assert tier.iloc[0, 0] == "high"
    assert "NEWBIG1" in result.facts["new_high_value"]["top"]
    new_high = read(quiet["ws"].current_store(), "SELECT count(*) FROM scores WHERE tier = 'high' AND customer_id NOT IN "
                    f"(SELECT customer_id FROM read_parquet('{_snapshot_scores(quiet)}'))").iloc[0, 0]
    assert result.facts["new_high_value"]["customers"] == new_high


def _snapshot_scores(quiet) -> str:
    from tools import snapshots

    infos = snapshots.list_snapshots(quiet["ws"].home)
    return str(snapshots.scores_path(quiet["ws"].home, infos[-2]))


def test_a_revenue_spike_is_outside_the_usual_range_by_the_rule_shown(built_home, tmp_path):
    home = tmp_path / "ws"
    shutil.copytree(built_home, home)
    ws = Workspace(home)
    orders = read(ws.current_store(), "SELECT order_date, amount FROM orders")
    as_of = date.fromisoformat(read(ws.current_store(), "SELECT value FROM meta WHERE key = 'as_of'").iloc[0, 0].strip('"'))
    end = as_of + timedelta(days=7)
    weeks = [orders[(orders["order_date"].dt.date > end - timedelta(days=7 * (k + 1)))
                    & (orders["order_date"].dt.date <= end - timedelta(days=7 * k))]["amount"].sum()
             for k in range(1, USUAL_WEEKS + 1)]
    usual = np.mean(weeks), np.std(weeks, ddof=1)
    buyers = read(ws.current_store(), "SELECT customer_id FROM features ORDER BY customer_id LIMIT 70")["customer_id"]
    spike = 4 * max(weeks)
    rows = [{"order_id": f"S{i}", "customer_id": c, "order_date": (as_of + timedelta(days=1 + i % 7)).isoformat(),
             "amount": round(spike / len(buyers), 2)} for i, c in enumerate(buyers)]
    append_orders(ws, write_orders(tmp_path / "spike.csv", rows))
    result = what_changed(context(home))
    revenue = next(k for k in result.facts["kpis"] if k["kpi"] == "revenue")
    assert revenue["now"] == pytest.approx(sum(r["amount"] for r in rows))
    assert revenue["usual_low"] == pytest.approx(usual[0] - SD_RANGE * usual[1], rel=1e-6)
    assert revenue["usual_high"] == pytest.approx(usual[0] + SD_RANGE * usual[1], rel=1e-6)
    assert revenue["outside_usual_range"] is True and "revenue" in result.facts["kpis_outside"]
    assert "mean ± 2 standard deviations of the 8 weeks before" in result.summary


def test_without_an_earlier_snapshot_the_answer_says_how_to_get_one(built_home, tmp_path):
    home = tmp_path / "ws"
    shutil.copytree(built_home, home)  # only the load's snapshot: the data in service itself
    result = what_changed(context(home))
    assert result.facts["compared"] is False and "no earlier snapshot" in result.summary
    assert "tierwise append" in result.summary and not result.tables


def test_support_may_not_ask_what_changed(quiet):
    from assistant.registry import ToolRegistry

    record = ToolRegistry(Dataset(quiet["ws"]), role="support").call("what_changed", {})
    assert record.status == "denied"
    assert ToolRegistry(Dataset(quiet["ws"]), role="marketer").call("what_changed", {}).status == "ok"


@pytest.mark.parametrize("question, language", [("what changed since last week?", "en"), ("最近有什么变化？", "zh")])
def test_the_chat_question_routes_to_what_changed_and_answers_in_its_language(quiet, question, language, monkeypatch, ask_json):
    monkeypatch.setenv("TIERWISE_HOME", str(quiet["ws"].home))
    answer = ask_json(question)
    assert [c["name"] for c in answer["tool_calls"]] == ["what_changed"]
    assert answer["tool_calls"][0]["status"] == "ok"
    newly = answer["tool_calls"][0]["result"]["facts"]["newly_high_risk"]
    if language == "zh":
        assert "新进入高流失风险" in answer["answer"] and f"{newly['customers']:,} 位客户" in answer["answer"]
    else:
        assert f"{newly['customers']:,} customers newly at high churn risk" in answer["answer"]


def test_the_cli_reports_changes_since_a_date(quiet, monkeypatch, cli_json, cli):
    monkeypatch.setenv("TIERWISE_HOME", str(quiet["ws"].home))
    report = cli_json("changes", "--since", (quiet["as_of"] - timedelta(days=7)).isoformat())
    assert report["before"]["as_of"] < quiet["as_of"].isoformat() and report["newly_high_risk"]["customers"] > 0
    code, out, err = cli("changes")
    assert code == 0 and "newly at high churn risk" in out and "Tier moves" in out


@pytest.mark.parametrize("language", ["en", "zh"])
def test_the_answers_tables_read_as_words_in_both_languages(quiet, language):
    import re

    from ui.formatting import Style, format_table

    result = what_changed(context(quiet["ws"].home))
    style = Style(language=language)
    for table in result.tables:
        shown = format_table(table, style)
        words = [c.label for c in shown.columns] + [cell.text for row in shown.rows for cell in row]
        assert not [w for w in words if re.fullmatch(r"[a-z]+(?:_[a-z0-9]+)+", w)], table.title  # no snake_case
        if language == "zh":
            assert re.search(r"[\u4e00-\u9fff]", shown.title), shown.title
    moves = format_table(result.tables[1], style)
    before = [row[0].text for row in moves.rows]
    assert set(before) <= ({"高价值层", "中价值层", "低价值层"} if language == "zh" else {"High", "Mid", "Low"})
