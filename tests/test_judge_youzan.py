"""Independent judgement on a Youzan (有赞) item-level order export of a WeChat mini-program shop for baby & kids
clothes (never seen by the planner).

tests/data/judge_youzan/make_shop.py writes what 有赞微商城's 订单导出 "商品维度" report gives for 棉小芽童装, a small
Hangzhou brand (CNY), with the order fields the owner ticked: one row per item line, 16,749 lines, 10,156 order
numbers (~9,270 of them sales), 5,524 buyer phones, over two years up to 2026-05-31, newest first, UTF-8 with a
BOM, in Youzan's header names (订单号, 订单类型, 订单状态, 订单创建时间, 买家付款时间, 订单来源, 买家昵称, 买家手机号,
会员等级, 商品名称, 商品类目, 商品规格, 规格编码, 商品编码, 商品单价, 商品优惠方式, 商品优惠后价格, 商品数量, 商品金额小计, 店铺优惠（分摊）, 商品实际成交金额, 运费,
订单实付金额, 商品退款状态, 商品已退款金额, 收货人/提货人, 收货人手机号/提货人手机号, 收货人省份, 收货人城市, 收货人地区,
详细收货地址/提货地址, 买家备注, 分销员昵称, 商品发货物流公司, 商品发货物流单号, 商家订单备注; make_shop.py says which
names come from public scripts over real Youzan exports and which are reasoned). The customer is the 买家手机号
(PII; written with a leading tab, as Youzan does), not the WeChat nickname, which changes and is often WeChat's
default "微信用户"; 1.4% of lines have no phone. 订单状态 is order-level (交易成功 / 已发货 / 待发货 / 待付款 / 交易关闭:
never paid, or refunded in full); refunds are per line in 商品退款状态 (退款成功 / 退款中 / 退款关闭, the last a refused
request whose sale stands). 运费 and 订单实付金额 repeat on each line of an order. 商品规格 reads "颜色:浅粉;尺码:90cm".
Seven test orders of the owner (¥0.01, 商家订单备注 "测试单 勿发货"). It is generated into a temporary directory and
loaded as a shop owner would: the product's normal AUTOMATIC load (no mapping; currency CNY) in a fresh
TIERWISE_HOME workspace. The 40 questions of tests/data/judge_youzan/questions.jsonl (20 English, as the
English-speaking manager of this Chinese shop would ask; 20 Chinese, as the owner types) were written before
anything was run and without reading how questions are parsed or any other judge's questions; each is asked
offline in a fresh marketer conversation.

The expected answers are computed independently with pandas from the raw file (tests/data/judge_youzan/expected.py
states the reading: revenue is the 商品实际成交金额 of the lines of paid orders that are 交易成功 / 已发货 (待发货 accepted
either way), less the 退款成功 lines (退款中 either way); an order is an 订单号 with such a line; a customer is a
买家手机号; 运费 once per order; the test orders kept or left out; an order dated by 订单创建时间 or 买家付款时间).
An answer is right when a tool result carries an accepted number and the answer text (or, for a breakdown, its
table) shows it: tests/judging.py's `judge`. The judge here also records every mobile-phone-like number in the
answer text, the tool calls' arguments and their results (summary, facts, tables, chart, audience, pii) as
`mobile_numbers` in the artifact, and a test checks that none is a phone of the file (买家手机号 or
收货人手机号/提货人手机号): a top customer is to be named without her phone number.

`pytest -s tests/test_judge_youzan.py` (the automatic pass; `-m slow` for the diagnostic) or
`python -m tests.test_judge_youzan` (every pass) prints the load mapping, the per-question table and the accuracy
(English, Chinese, total) and writes test-artifacts/judge_youzan.json (the diagnostic:
test-artifacts/judge_youzan_diagnostic.json).

Two passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping (diagnostic, slow): the load naming the contract fields as a Youzan shop owner would
   (OWNER_MAPPING), to tell the loader's losses from the planner's.

First measurement, 2026-12-03, on commit f2aa8cd (the working tree, with other engineers' uncommitted edits in
Makefile, pyproject.toml, tools/mapping.py, tests/conftest.py, tests/test_export_columns.py and, by the recorded run,
assistant/planner.py, planning_lexicon.py, planning_metrics.py, planning_slots.py, tests/test_planner.py; both passes
run again on a clean `git worktree` of f2aa8cd gave the same verdict on every question, only e10's call differs:
refused on f2aa8cd, cancelled_revenue in the working tree). The very first runs drew the export with the 拼团 items
taken from a set, whose order follows Python's string hashing, so each run wrote a slightly different shop
(automatic 7/40 on the working tree and on f2aa8cd, owner mapping 5/40); make_shop.py was made deterministic (a
tuple) and both passes measured again; no question or expected answer changed. The measurement:
automatic en 3/20, zh 4/20, total 7/40 = 17.5%. The load reads 16,749 lines, keeps 15,395 (765 rejected as
"unparseable date", 589 cancelled), with the automatic mapping amount = 订单实付金额 (the ORDER total, goods +
shipping, repeated on every line, summed per line: revenue CNY 3,601,928 against 1,590,357), customer_id =
买家昵称 (1,823 "customers" against 5,350 phones; 买家手机号 is kept out as personal data, and "微信用户" and shared
nicknames merge buyers), order_date = 买家付款时间 (the unpaid orders' blank dates are the 765 rejected rows, which
incidentally keeps 待付款 and abandoned checkouts out), status = 订单状态; 收货人省份 / 收货人城市 / 收货人地区 are kept
out as personal data (no province or city to ask about); 商品规格 is split into 颜色 and 尺码 columns; 商品退款状态
(per line) is "carried to the order's other lines" as if written on an order's first line only. Right: e02 (9,274
orders), e04 (the socks by units), e11 (415 cancelled orders = the paid orders refunded in full, test orders in),
z02 (508), z04 (配件 by units), z13 (运费 26,153 once per order), z14 (490). Its 33 failures, by first cause:
  wrong column mapped, amount = 订单实付金额 (the planner's call was right; the number is order totals on each
  line): e01 3,601,928; e03 AOV 388.39; e05 2025 1,898,802; e13 Dec 2025 303,291; e15 -13.1%; z01 987,824; z03
  AOV 382.13; z09 钻石会员 505,239; z15 +66.2%; e18 Gold AOV 566.43 (and nickname customers);
  the planner drops or misreads the group asked for (whole-shop or wrong-shape answers): e06 "live stream" (直播
  not linked: all revenue); e17 "through our distributors" (分销 not linked: all 9,274 orders); z11 90码 (尺码 90cm
  not linked: all 18,387 units); z12 去年双十一那天 (2025 by day, the first row, 1 Jan); z18 哪个分销员 (the top
  product among 分销 orders, not a 分销员昵称 breakdown); e16 colour (ranked by orders, top group "(blank)": the
  lines without a colour);
  refused ("outside what I can help with"): e09 share of customers who ordered more than once; e12 shipping fees
  last year; e14 biggest spender; z06 直播和小程序哪个卖得多; z16 消费最多的客户花了多少;
  customers are nicknames (买家手机号 not stored): e08 1,823; e19 221 new this year (1,145); z08 金卡会员 313 (375);
  z19 724 customers over 1,000 (254; amount too);
  province / city kept out as personal data: e07 (dataset_overview), e20 Hangzhou and z17 深圳 (filter dropped: all
  revenue), z05 各省 (not grouped either: all revenue);
  wrong or unknown metric: z07 回头客 and z20 半年没再买的老客户 -> returning_customers = 0 (customers ordering in the
  window whose first order is earlier, over all history); z10 退款率 -> unknown metric 'refund_rate' (error shown
  to the user); e10 "refunded in total" -> cancelled_revenue 121,918 (订单实付金额 of closed orders; line refunds
  of 交易成功 orders are not seen).
Privacy: no answer, tool argument or tool result of the automatic pass shows a phone number of the file — because
买家手机号 is not stored at all.
owner_mapping (the same trees): en 1/20, zh 3/20, total 4/40 = 10%. With 买家手机号 as the customer and
商品实际成交金额 as the amount, the load still counts 待付款 (unpaid) orders as completed sales and keeps the 退款成功
lines of orders still 交易成功 / 已发货 (refunds are per line; the status is the order's), so nearly every number is a
little off: revenue 1,604,294 (= every line of the orders not 交易关闭), orders 9,277 (3 待付款 orders), AOV 172.93,
e19 1,147, z13 26,161, z14 493; 交易关闭 counts the never-paid checkouts as cancellations (e11 879, e10 145,663).
Right: e04, z02, z04, z08. The planner's losses above stay. And the phone numbers leak: with the phone as the
customer id, find_customers' preview table lists customers by their phone (z19 "累计消费超过1千"; z16 too in the
working tree, where it is answered with find_customers) — in a tool result, which the product says may be shown to
an external LLM.
After loader fixes, 2026-12-03 (a buyer's phone is the key over a nickname, pseudonymised, never stored; an order total
written on every line gives way to the line's own amount; the order date is the creation time; the recipient's
province and city are places, not personal data; an item's refund state is the line's own, never carried, and a line
whose refund went through is refunded; 规格 name:value lists split): automatic en 5/20, zh 6/20, total 11/40 = 27.5%
(customers 5,353 vs 5,350-5,352 expected; totals now within ~0.1% but unpaid and test orders still count; the rest is
the planner: live stream / distributor / 90码 / 双十一 words, refund_rate, repeat share, top spender refused).
With never-paid checkouts (待付款) no sales: 22/40 = 55.0% (en 11/20, zh 11/20); with refunded lines of orders closed as a whole counted as refunds: 24/40 = 60.0%.
At the end of the 2026-12-03 session (planner changes, glossary words for 直播 / 分销, product families, returning
customers over all history): 30/40 = 75.0%.
The automatic floor is that first measurement rounded down to 5% (0.15), the diagnostic's its own (0.10), a guard
against regressions; the diagnostic also fails if a phone shows in any answer other than those two. TARGET = 0.9.
Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from tests import judging

FLOOR = 0.15          # automatic load: first measurement 7/40 = 17.5% (f2aa8cd)
FLOOR_MAPPED = 0.10   # diagnostic, owner mapping: first measurement 4/40 = 10%
# Diagnostic only: the questions whose answers showed a phone of the file under the owner's mapping at the first
# measurement (find_customers lists customers by id, and the id mapped is the phone), a known defect; any other is
# a regression.
MAPPED_PHONE_LEAKS = {"z16", "z19"}
TARGET = 0.9

# Diagnostic only: the contract fields under Youzan's own names, as the owner names them after reading the load
# report. Revenue is the line's 商品实际成交金额; the order is the 订单号; the customer is the 买家手机号.
OWNER_MAPPING = {"customer_id": "买家手机号", "order_id": "订单号", "order_date": "订单创建时间",
                 "amount": "商品实际成交金额", "product": "商品名称", "category": "商品类目", "quantity": "商品数量",
                 "channel": "订单来源", "status": "订单状态"}

# 11-digit mainland mobile numbers, bare or written 3-4-4 with spaces or dashes
_MOBILE = re.compile(r"(?<![\d])1[3-9]\d(?:[ -]?\d{4}){2}(?![\d])")


def _mobile_numbers(text: str) -> set[str]:
    return {re.sub(r"\D", "", m) for m in _MOBILE.findall(text)}


def judge_and_scan(answer, expect, want, lang):
    """`judging.judge`, and the mobile numbers the answer shows or its tools returned (`mobile_numbers`)."""
    verdict = judging.judge(answer, expect, want, lang)
    seen = _mobile_numbers(answer.text)
    for record in answer.tool_calls:
        seen |= _mobile_numbers(json.dumps(record.args, ensure_ascii=False, default=str))
        if record.result is not None:
            dump = record.result.model_dump()
            dump["pii"] = record.result.pii
            seen |= _mobile_numbers(json.dumps(dump, ensure_ascii=False, default=str))
    verdict["mobile_numbers"] = sorted(seen)
    return verdict


JUDGE = judging.Judge("judge_youzan", currency="CNY", target=TARGET, rules=judge_and_scan)
AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING)}


def file_phones(csv) -> set[str]:
    """Every phone number of the export: the buyers' and the recipients'."""
    import pandas as pd

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    phones = set(raw["买家手机号"].str.strip()) | set(raw["收货人手机号/提货人手机号"].str.strip())
    return phones - {""}


def leaked_phones(result, phones: set[str]) -> dict[str, list[str]]:
    """Question id -> the file's phone numbers its answer or tool results showed."""
    out = {}
    for row in result["questions"]:
        hit = sorted(set(row.get("mobile_numbers") or []) & phones)
        if hit:
            out[row["id"]] = hit
    return out


# --- pytest ---------------------------------------------------------------------------------------------
export = judging.export_fixture(JUDGE)  # the export and its answers, generated once for these tests


@pytest.fixture(scope="module")
def automatic(export, tmp_path_factory):
    """The automatic pass, run once for the accuracy and the privacy tests; its artifact written and printed."""
    result = judging.run_passes(JUDGE, tmp_path_factory.mktemp("judge_youzan_auto"), AUTOMATIC, export)
    judging.write_artifact(result, JUDGE.artifact)
    print()
    print(judging.table(result["automatic"]))
    return result["automatic"]


def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_youzan.expected import FUNCTIONS
    from tests.data.judge_youzan.make_shop import COLUMNS, STAFF, TEST_NOTE

    assert export.csv.read_bytes()[:3] == b"\xef\xbb\xbf"  # UTF-8 with a BOM
    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(raw.columns) == COLUMNS
    assert 15_000 <= len(raw) <= 20_000
    assert 9_000 <= raw["订单号"].nunique() <= 12_000 and raw["订单号"].str.fullmatch(r"E\d{23}").all()
    assert raw["订单创建时间"].iloc[0].startswith("2026-05-31") and raw["订单创建时间"].min().startswith("2024-06-01")
    assert raw["订单创建时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    phone = raw["买家手机号"]
    assert phone[phone != ""].str.fullmatch(r"\t1[3-9]\d{9}").all()  # the leading tab Youzan writes
    assert 100 <= (phone == "").sum() <= 500
    assert 4_500 <= phone[phone != ""].nunique() <= 6_500
    known = raw[phone != ""]
    assert (known.groupby("买家手机号")["买家昵称"].nunique() > 1).sum() > 200  # nickname changes under one phone
    assert (known.groupby("买家昵称")["买家手机号"].nunique() > 1).sum() > 200  # one nickname, many phones
    assert 0.08 <= (raw["买家昵称"] == "微信用户").mean() <= 0.2
    assert set(raw["订单状态"]) == {"交易成功", "已发货", "待发货", "待付款", "交易关闭"}
    assert set(raw["商品退款状态"]) == {"", "退款成功", "退款中", "退款关闭"}
    refunded = raw["商品退款状态"] == "退款成功"
    assert (raw.loc[refunded, "商品已退款金额"] == raw.loc[refunded, "商品实际成交金额"]).all()
    assert set(raw["订单来源"]) == {"微信小程序", "直播", "分销", "公众号H5"}
    assert ((raw["订单来源"] == "分销") == (raw["分销员昵称"] != "")).all()
    assert set(raw["会员等级"]) == {"", "普通会员", "银卡会员", "金卡会员", "钻石会员"}
    assert raw.groupby("买家手机号")["会员等级"].nunique().max() == 1  # the level at export time
    assert raw["商品规格"].str.fullmatch(r"(颜色:[^;]+;)?尺码:[^;]+|颜色:[^;]+|").all()
    assert raw["商品规格"].str.contains("尺码:90cm").any()
    money = {c: pd.to_numeric(raw[c].replace("", "0")) for c in ("商品优惠后价格", "商品数量", "商品金额小计",
                                                               "店铺优惠（分摊）", "商品实际成交金额")}
    assert ((money["商品优惠后价格"] * money["商品数量"] - money["商品金额小计"]).abs() < 0.005).all()
    assert ((money["商品金额小计"] - money["店铺优惠（分摊）"] - money["商品实际成交金额"]).abs() < 0.005).all()
    orders = raw.groupby("订单号")
    for c in ("订单状态", "订单创建时间", "买家手机号", "运费", "订单实付金额", "收货人省份"):
        assert orders[c].nunique().max() == 1, c  # order-level, repeated on each line
    assert (orders.size() > 1).sum() > 3_000
    paid = raw[raw["买家付款时间"] != ""]
    goods = paid.groupby("订单号")["商品实际成交金额"].apply(lambda x: pd.to_numeric(x).sum())
    total = paid.groupby("订单号")[["运费", "订单实付金额"]].first().apply(pd.to_numeric)
    assert ((goods + total["运费"] - total["订单实付金额"]).abs() < 0.005).all()
    tests = raw[raw["商家订单备注"] == TEST_NOTE]
    assert tests["订单号"].nunique() == 7 and set(tests["买家手机号"].str.strip()) == {s[1] for s in STAFF}
    assert (raw["收货人手机号/提货人手机号"] != raw["买家手机号"]).sum() > 500  # gifts
    judging.check_questions(JUDGE, FUNCTIONS, export, per_language=20)


def test_judge_youzan_answers_with_the_right_number(automatic):
    assert automatic["accuracy"]["all"]["accuracy"] >= FLOOR, judging.table(automatic)


def test_judge_youzan_never_shows_a_phone_number(export, automatic):
    """No answer text, tool argument or tool result of the automatic pass holds a phone number of the file."""
    phones = file_phones(export.csv)
    assert len(phones) > 5_000
    assert not leaked_phones(automatic, phones)


@pytest.mark.slow
def test_judge_youzan_owner_mapping_diagnostic(export, tmp_path):
    """Diagnostic: the owner-mapped load, to tell the loader's losses from the planner's; no phone shown either."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)
    leaks = leaked_phones(result["owner_mapping"], file_phones(export.csv))
    print(f"phone numbers shown (owner mapping), per question: {json.dumps({q: len(v) for q, v in leaks.items()})}")
    assert set(leaks) <= MAPPED_PHONE_LEAKS, leaks


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
