"""Chinese answers carry the models' own sentences (churn and recommendation reasons, persona names)
in Chinese: every sentence the built demo world holds has a rendering."""

import re

import pytest

from assistant.core import Assistant
from assistant.planning_compose import persona_name, phrase
from tools.customers import recommend_for_customers
from tools.dataset import Dataset
from tools.workspace import Workspace

LATIN = re.compile(r"[A-Za-z]{2,}")


@pytest.fixture(scope="module")
def snapshot(built_home):
    return Dataset(Workspace(built_home)).snapshot()


def test_every_churn_reason_in_the_data_has_a_chinese_sentence(snapshot):
    reasons = snapshot.query("SELECT DISTINCT unnest(churn_reasons) AS r FROM scores")["r"].tolist()
    assert len(reasons) > 100
    untranslated = [r for r in reasons if LATIN.search(phrase("zh", r))]
    assert untranslated == []
    assert all(phrase("en", r) == r for r in reasons[:20])


def test_every_persona_name_has_a_chinese_name(snapshot):
    names = snapshot.query("SELECT DISTINCT persona FROM scores WHERE persona IS NOT NULL")["persona"].tolist()
    assert len(names) >= 3
    shown = {n: persona_name("zh", n) for n in names}
    assert all(not LATIN.search(s.replace("App", "")) for s in shown.values()), shown
    assert len(set(shown.values())) == len(names)  # distinct clusters keep distinct names


def test_recommendation_reasons_read_in_chinese_around_the_product_name(snapshot):
    ids = snapshot.query("SELECT customer_id FROM customer_view ORDER BY customer_id LIMIT 300")["customer_id"].tolist()
    recs = recommend_for_customers(snapshot, ids, 5)
    assert len(recs) > 500
    for product, reason in recs[["product", "reason"]].drop_duplicates("reason").itertuples(index=False):
        zh = phrase("zh", reason)
        products = set(snapshot.query("SELECT DISTINCT product FROM orders WHERE product IS NOT NULL")["product"])
        rest = zh
        for p in sorted(products, key=len, reverse=True):
            rest = rest.replace(p, "")
        assert not LATIN.search(rest), (reason, zh)


def test_a_chinese_lookup_answer_has_no_english_sentences(built_home, snapshot):
    assistant = Assistant(Workspace(built_home))
    ids = snapshot.query("SELECT customer_id FROM scores WHERE churn_risk = 'high' ORDER BY customer_id LIMIT 3")["customer_id"]
    products = set(snapshot.query("SELECT DISTINCT product FROM orders")["product"])
    for cid in ids:
        answer = assistant.ask(f"客户 {cid} 是什么等级？", assistant.conversation(role="support"))
        text = answer.text.replace(cid, "")
        for p in sorted(products, key=len, reverse=True):
            text = text.replace(p, "")
        assert "流失风险" in text and not LATIN.search(text.replace("App", "")), answer.text


def test_common_tool_errors_are_told_in_chinese(built_home, tmp_path):
    assistant = Assistant(Workspace(built_home))
    answer = assistant.ask("给客户 C999999 推荐什么商品？", assistant.conversation())
    assert answer.tool_calls[0].status == "error" and "C999999" in answer.text
    assert not LATIN.search(answer.text.replace("C999999", "")), answer.text
    empty = Assistant(Workspace(tmp_path / "empty-home"))
    answer = empty.ask("客户 C000042 是什么等级？", empty.conversation(role="support"))
    assert "还没有加载数据" in answer.text


@pytest.mark.parametrize("tool, args", [
    ("segment_summary", {"by": "tier"}), ("segment_summary", {"by": "churn_risk"}),
    ("kpi_trend", {"metric": "new_customers", "period": "quarter", "by": "channel"}),
    ("kpi_trend", {"metric": "aov", "period": "month"}),
    ("cohort_retention", {"period": "month"}), ("cohort_retention", {"period": "quarter", "metric": "revenue"}),
    ("clv_forecast", {"horizon_days": 90}),
    ("campaign_forecast", {"churn_risk": "high", "offer_cost": 10}),
    ("ab_test", {"visitors_a": 1000, "conversions_a": 50, "visitors_b": 1000, "conversions_b": 70}),
])
def test_every_chart_title_axis_and_legend_reads_in_chinese(snapshot, tool, args, tmp_path):
    from assistant.planning_compose import localize_chart
    from tools.catalog import call_tool
    from tools.context import ToolContext

    result = call_tool(ToolContext(snapshot=snapshot, exports_dir=tmp_path), tool, args)
    assert result.chart, tool
    spec = localize_chart(result.chart, "zh")
    layout = spec["layout"]
    words = [layout["title"]["text"]] + [layout.get(a, {}).get("title", {}).get("text") or "" for a in ("xaxis", "yaxis")]
    words += [t.get("name") or "" for t in spec["data"]]
    words += [x for t in spec["data"] if t.get("type") == "bar" for x in t.get("x", [])]
    leftover = [w for w in words if isinstance(w, str) and LATIN.search(w.replace("RFM", "").replace("App", ""))
                and w not in ("A", "B")]
    assert leftover == [], leftover
    assert localize_chart(result.chart, "en") == result.chart
