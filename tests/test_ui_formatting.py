"""One formatting layer for the chat: labels from the catalog and ui/labels.json, values in their unit, the
answer's language for captions and axes, raw values kept for sorting and downloads."""

import re

from assistant.answer import Answer, ToolCallRecord
from tools.results import Table, ToolResult
from ui.formatting import Style, format_chart, format_number, format_table, format_value, style_for
from ui.render import answer_extras, table_html

CUSTOMERS = Table(title="Top 2 by clv", columns=["customer_id", "segment", "churn_probability", "clv_12m",
                                                 "avg_days_since_last_order", "last_order_date"],
                  rows=[["C000001", "cannot_lose", 0.9991, 12345.678, 33.66, "2024-08-14"],
                        ["C000002", "potential_loyalist", 0.0412, 87.5, 402.2, "2025-01-03"]], total_rows=40)
TREND = Table(title="revenue per month", columns=["period", "channel", "revenue", "change"],
              rows=[["2024-07-01", "web", 2500.0, None], ["2024-08-01", "web", 3000.0, 0.2],
                    ["2024-09-01", "web", 2400.0, -0.2]])


def texts(table: Table, style: Style) -> tuple[list[str], list[list[str]]]:
    shown = format_table(table, style)
    return [c.label for c in shown.columns], [[c.text for c in row] for row in shown.rows]


def test_a_customer_table_reads_as_words_with_money_percentages_and_dates():
    labels, rows = texts(CUSTOMERS, Style(currency="EUR"))
    assert labels == ["Customer", "Segment", "Churn probability", "Expected 12-month value",
                      "Avg. days since last order", "Last order"]
    assert rows[0] == ["C000001", "Can't lose", "99.9%", "€12,346", "34", "14 Aug 2024"]
    assert rows[1] == ["C000002", "Potential loyalist", "4.1%", "€88", "402", "3 Jan 2025"]


def test_a_chinese_answer_gets_chinese_labels_values_and_dates():
    labels, rows = texts(CUSTOMERS, Style(language="zh", currency="CNY"))
    assert labels == ["客户编号", "RFM 细分", "流失概率", "未来12个月预期价值", "平均距上次下单天数", "最近下单日"]
    assert rows[0][1:] == ["不能失去", "99.9%", "¥12,346", "34", "2024年8月14日"]
    assert format_table(CUSTOMERS, Style(language="zh")).caption(Style(language="zh")) == \
        "前 2 位客户（显示 40 行中的 2 行）"


def test_months_of_a_trend_are_month_names_and_changes_are_signed_percentages():
    style = style_for({"metric": "revenue", "period": "month"}, {"metric": "revenue", "period": "month"},
                      language="en", currency="USD")
    labels, rows = texts(TREND, style)
    assert labels == ["Period", "Channel", "Revenue", "Change vs previous"]
    assert [r[0] for r in rows] == ["Jul 2024", "Aug 2024", "Sep 2024"]
    assert [r[2] for r in rows] == ["$2,500", "$3,000", "$2,400"]
    assert [r[3] for r in rows] == ["—", "+20%", "-20%"]
    zh = style_for({"metric": "revenue", "period": "month"}, {}, language="zh", currency=None)
    _, rows = texts(TREND, zh)
    assert [r[:2] for r in rows[:2]] == [["2024年7月", "网站"], ["2024年8月", "网站"]]
    assert format_table(TREND, zh).title == "每月营收"


def test_numbers_are_right_aligned_and_sort_by_their_raw_value():
    html = table_html(CUSTOMERS, Style())
    assert '<th class="num" title="Sort by Churn probability">Churn probability</th>' in html
    assert '<td class="num" data-v="0.9991">99.9%</td>' in html
    assert '<td class="num" data-v="12345.678">12,345.68</td>' not in html  # no currency: whole amounts
    assert '<td class="num" data-v="12345.678">12,346</td>' in html
    assert '<td data-v="2024-08-14">14 Aug 2024</td>' in html


def test_a_measure_table_shows_each_value_in_its_own_unit_and_never_a_server_path():
    table = Table(title="Dataset", columns=["measure", "value"],
                  rows=[["customers", 4935], ["revenue", 2807602.17], ["first_order", "2024-01-01"],
                        ["source", "/srv/tierwise/uploads/tmp8x/transactions.csv"], ["margin", 0.4],
                        ["every_customer_receives_the_offer", True]])
    labels, rows = texts(table, Style(currency="GBP"))
    assert labels == ["Measure", "Value"]
    assert rows == [["Customers", "4,935"], ["Revenue", "£2,807,602"], ["First order", "1 Jan 2024"],
                    ["Source file", "transactions.csv"], ["Gross margin", "40%"],
                    ["Every customer receives the offer", "Yes"]]


def test_compared_metrics_and_shop_attributes_get_labels_not_column_names():
    style = style_for({"units": {"revenue": "money", "avg_rating": "number"},
                       "labels": {"revenue": {"en": "Revenue", "zh": "销售额"},
                                  "avg_rating": {"en": "Average rating", "zh": "平均rating"}},
                       "by": ["payment_method"]}, {}, language="en", currency=None)
    table = Table(title="Revenue by payment method", columns=["payment_method", "revenue", "revenue_previous",
                                                              "revenue_change", "avg_rating"],
                  rows=[["PayPal", 1200.0, 1000.0, 0.2, 4.25]])
    labels, rows = texts(table, style)
    assert labels == ["Payment method", "Revenue", "Revenue (previous period)", "Revenue change", "Average rating"]
    assert rows == [["PayPal", "1,200", "1,000", "+20%", "4.25"]]


def test_no_probability_or_share_below_one_is_shown_as_a_decimal():
    for column in ("churn_probability", "avg_churn_probability", "share", "value_share", "p_alive", "repeat_rate",
                   "rate", "save rate", "base_rate", "+3"):
        shown = format_value(column, 0.3437, Style())
        assert shown == "34.4%", (column, shown)


def test_a_chinese_chart_has_chinese_title_axes_and_categories_and_percent_ticks():
    spec = {"data": [{"type": "bar", "x": ["champions", "cannot_lose"], "y": [843176.4, 5384.9],
                      "name": "expected value"}],
            "layout": {"title": {"text": "Expected 12-month value by segment"},
                       "yaxis": {"title": {"text": "expected value"}}}}
    zh = format_chart(spec, Style(language="zh", currency="EUR"), group="segment")
    assert zh["layout"]["title"]["text"] == "各RFM 细分的 12 个月预期价值"
    assert zh["layout"]["yaxis"]["title"]["text"] == "未来12个月预期价值"
    assert zh["layout"]["yaxis"]["tickprefix"] == "€"
    assert zh["data"][0]["x"] == ["冠军客户", "不能失去"]
    en = format_chart(spec, Style(), group="segment")
    assert en["data"][0]["x"] == ["Champions", "Can't lose"]
    assert spec["data"][0]["x"] == ["champions", "cannot_lose"]  # the tool's spec is left as it was

    rate = {"data": [{"type": "bar", "x": ["A", "B"], "y": [0.05, 0.06]}],
            "layout": {"title": {"text": "Conversion rate"}, "yaxis": {"title": {"text": "rate"}}}}
    shown = format_chart(rate, Style())
    assert shown["layout"]["yaxis"]["tickformat"] == ".0%"
    assert "%{y:.1%}" in shown["data"][0]["hovertemplate"]


def test_a_trend_chart_names_its_months_and_series():
    spec = {"data": [{"type": "scatter", "mode": "lines+markers", "x": ["2024-07-01", "2024-08-01"], "y": [1, 2],
                      "name": "app"}],
            "layout": {"title": {"text": "new customers per month by channel"},
                       "yaxis": {"title": {"text": "new_customers"}}}}
    style = style_for({"metric": "new_customers", "period": "month", "by": "channel"}, {}, language="zh",
                      currency=None)
    shown = format_chart(spec, style, group="period")
    assert shown["data"][0]["x"] == ["2024年7月", "2024年8月"]
    assert shown["data"][0]["name"] == "应用"
    assert shown["layout"]["yaxis"]["title"]["text"] == "新客户数"
    assert not re.search(r"[a-z]+_[a-z]+", str(shown["layout"]))
    en = format_chart(spec, style_for({"metric": "new_customers", "period": "month"}, {}, language="en", currency=None))
    assert en["layout"]["yaxis"]["title"]["text"] == "New customers"
    assert en["layout"]["title"]["text"] == "New customers per month by channel"


def test_the_chat_shows_labels_while_the_csv_keeps_the_data_as_it_is(tmp_path):
    result = ToolResult(summary="2 customers match.", tables=[CUSTOMERS])
    answer = Answer(text="2 customers match.", tool_calls=[ToolCallRecord("find_customers", {}, "ok", result=result)])
    messages = answer_extras(answer, role="marketer", exports_dir=tmp_path, currency="USD")
    shown = messages[0]["content"].value
    assert "Expected 12-month value" in shown and "&#36;12,346" in shown and "clv_12m" not in shown
    chart = str(messages[1]["content"].value)
    assert "Churn probability" in chart and "Expected 12-month value" in chart and "clv_12m" not in chart
    csv = next(tmp_path.glob("customers-*.csv")).read_text(encoding="utf-8").splitlines()
    assert csv[0].split(",") == CUSTOMERS.columns
    assert csv[1].split(",")[:4] == ["C000001", "cannot_lose", "0.9991", "12345.678"]


def test_zero_money_has_no_cents_and_a_sub_cent_price_keeps_its_digits():
    assert format_number(0.0, "money", Style(), decimals=2) == "0"
    assert format_number(0.0, "money", Style(currency="USD")) == "$0"
    assert format_number(3.32, "money", Style(), decimals=2) == "3.32"
    assert format_number(0.002, "money", Style(currency="EUR"), decimals=2) == "€0.002"  # not €0.00
