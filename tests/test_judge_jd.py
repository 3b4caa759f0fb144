"""Independent judgement on a JD (京东) POP order export of a third-party coffee shop on JD.com (never seen by the
planner). HELD: written to be measured once, after the loader changes of its session.

tests/data/judge_jd/make_shop.py writes what 京东商家后台's 订单导出 gives 山隅咖啡旗舰店, a small Shanghai roaster's
POP store (CNY): one row per order line, 14,624 lines, 9,633 order numbers (9,092 of them sales), 5,900 buyer
accounts (5,640 with a sale; 222 of them e-mail addresses), two years up to 2026-06-30, newest first,
GBK-encoded CSV with a trailing comma on every line (an empty nameless 41st column), in JD's header names and
order as public scripts over real exports show them (订单号, 商品ID, 商品名称, 订购数量, 支付方式,
下单时间, 京东价, 订单金额, 结算金额, 余额支付, 应付金额, 订单状态, 订单类型, 下单帐号, 客户姓名, 客户地址, 联系电话, 订单备注, 发票类型,
发票抬头, 发票内容, 商家备注, 商家备注等级（等级1-5为由高到低）, 运费金额, 付款确认时间, 增值税发票, 货号, 订单完成时间, 订单来源, 订单渠道,
送装服务, 服务费, 仓库id, 仓库名称, 普通发票纳税编号, 商家SKUID, 邮箱地址, 邮政编码, 是否为品牌商订单, 是否为toplife订单;
make_shop.py says which values are from public samples and which are reasoned). What
makes it JD's: the order's money (订单金额 = goods at 京东价 + 运费金额; 结算金额 = what the buyer
pays after 满减, 东券 and 京豆; 余额支付 + 应付金额 = 结算金额) is ORDER-level and repeated on every line, and
the line's only money is 京东价, the unit price (no line amount; 订购数量 is the count); no category column (each SKU is its own long search
title); the buyer is the 下单帐号 (JD pin: "jd_…", a chosen name, Chinese, or an old e-mail address), 客户姓名 ("王**")
and 联系电话 ("137****1772") being masked; 客户地址 is one string whose head is the province without 省 ("广东深圳市…",
"北京朝阳区…"); 订单状态 完成 / 等待确认收货 / 等待出库 / 等待付款 / 已取消 / 锁定, some "(删除)完成" / "(删除)已取消";
支付方式 在线支付 / 货到付款 (cash on delivery: no 付款确认时间 before delivery); 订单来源 移动端订单 / 微信订单 / PC端订单 /
手Q订单; 仓库名称 嘉定自有仓 / 京东仓-广州 / 京东仓-北京; a ¥0 "(赠品)" line in big 618 / 双11 orders. It is generated
into a temporary directory and loaded as a shop owner would: the product's normal AUTOMATIC load (no mapping;
currency CNY) in a fresh TIERWISE_HOME workspace. The 40 questions of tests/data/judge_jd/questions.jsonl (20 English,
as the English-speaking manager of this Chinese store would ask; 20 Chinese, as a JD seller types them: 客单价, 复购率,
环比, 货到付款, 嘉定仓, 销量) were written before anything was run, without running the product on this shop, without
reading how the product loads, maps, cleans or parses (tools/mapping.py, ingest.py, cleaning.py, attributes.py,
loading.py, reading.py, regions.py, assistant/planner*, router, glossary, prompts/) and without reading any other
judge's questions or expected answers or the evals; each is asked offline in a fresh marketer conversation.

The expected answers are computed independently with pandas from the raw file (tests/data/judge_jd/expected.py states
the reading): sales are the orders 完成 / 等待确认收货 / 等待出库 ("(删除)" dropped; 锁定 read both ways); an order's
revenue is its 结算金额 taken once per order, with or without its 运费金额; an order is dated by 下单时间 or 付款确认时间;
a customer is a 下单帐号; a product's revenue is 京东价 × 订购数量 or the order's paid goods shared over its lines; a
province is the head of 客户地址; "last month" is June or May 2026; 客单价 per order or per customer. An answer is right
when a tool result carries an accepted number and the answer text (or, for a breakdown, its table) shows it:
tests/judging.py's `judge`. The judge also records every e-mail-like text in the answer text, the tool calls'
arguments and results as `emails` in the artifact, and a test checks that none is a 下单帐号 of the file (some pins
are e-mail addresses: personal data the product must not show or send to a model).

`pytest -s tests/test_judge_jd.py` (the automatic pass; `-m slow` for the diagnostic) or `python -m
tests.test_judge_jd` (every pass) prints the load mapping, the per-question table and the accuracy (English, Chinese,
total) and writes test-artifacts/judge_jd.json (the diagnostic: test-artifacts/judge_jd_diagnostic.json).

Two passes, each in a fresh TIERWISE_HOME workspace:
1. automatic: the product's normal automatic load (no mapping) — the measurement that counts;
2. owner_mapping (diagnostic, slow): the load naming the contract fields as a JD seller would (OWNER_MAPPING), to tell
   the loader's losses from the planner's. There is no line amount in a JD export: the owner names 京东价 (the unit
   price) with 订购数量 as the quantity, so this pass is right only where the product multiplies them, and never where
   the order's discounts matter.

First measurement, 2026-12-03, on commit 8fa51ba (held while the loader and planner were changed for the other judges;
run once at the end of that session): automatic en 1/20, zh 0/20, all 1/40 = 2.5%. The load keeps 13,813 of 14,624
lines, but the automatic mapping took customer_id = 商品ID (the product's id: 21 "customers") and amount = 订单金额 (the
order's total, written on every line of the order, summed per line: revenue 3.03M against ~1.52M); the file has no
line amount, only 京东价 (unit price) × 订购数量. Every other answer follows from those two. The owner-mapping
diagnostic was not run at the first measurement. Floors are the first measurement rounded down to 5% (0); TARGET = 0.9.
Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import json
import re
import sys

import pytest

from tests import judging

FLOOR = 0.0           # the first (held) measurement of the automatic load, 1/40, rounded down to 5%
FLOOR_MAPPED = 0.0    # the diagnostic (owner mapping): not measured yet
TARGET = 0.9

# Diagnostic only: the contract fields under JD's own names, as the owner names them after reading the load report.
OWNER_MAPPING = {"customer_id": "下单帐号", "order_id": "订单号", "order_date": "下单时间", "amount": "京东价",
                 "quantity": "订购数量", "product": "商品名称", "channel": "订单来源", "status": "订单状态"}

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def _emails(text: str) -> set[str]:
    return {m.lower() for m in _EMAIL.findall(text)}


def judge_and_scan(answer, expect, want, lang):
    """`judging.judge`, and the e-mail-like texts the answer shows or its tools got or returned (`emails`)."""
    verdict = judging.judge(answer, expect, want, lang)
    seen = _emails(answer.text)
    for record in answer.tool_calls:
        seen |= _emails(json.dumps(record.args, ensure_ascii=False, default=str))
        if record.result is not None:
            dump = record.result.model_dump()
            dump["pii"] = record.result.pii
            seen |= _emails(json.dumps(dump, ensure_ascii=False, default=str))
    verdict["emails"] = sorted(seen)
    return verdict


JUDGE = judging.Judge("judge_jd", currency="CNY", target=TARGET, rules=judge_and_scan)
AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
DIAGNOSTICS = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING)}


def file_email_pins(csv) -> set[str]:
    """The buyer accounts (下单帐号) of the export that are e-mail addresses."""
    from tests.data.judge_jd.expected import read_raw

    pins = set(read_raw(csv)["下单帐号"].str.strip().str.lower())
    return {p for p in pins if _EMAIL.fullmatch(p)}


def leaked_emails(result, pins: set[str]) -> dict[str, list[str]]:
    """Question id -> the file's e-mail pins its answer or tool calls showed."""
    out = {}
    for row in result["questions"]:
        hit = sorted(set(row.get("emails") or []) & pins)
        if hit:
            out[row["id"]] = hit
    return out


# --- pytest ---------------------------------------------------------------------------------------------
export = judging.export_fixture(JUDGE)  # the export and its answers, generated once for these tests


@pytest.fixture(scope="module")
def automatic(export, tmp_path_factory):
    """The automatic pass, run once for the accuracy and the privacy tests; its artifact written and printed."""
    result = judging.run_passes(JUDGE, tmp_path_factory.mktemp("judge_jd_auto"), AUTOMATIC, export)
    judging.write_artifact(result, JUDGE.artifact)
    print()
    print(judging.table(result["automatic"]))
    return result["automatic"]


def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_jd.expected import FUNCTIONS, PROVINCES, read_raw
    from tests.data.judge_jd.make_shop import COLUMNS

    data = export.csv.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    text = data.decode("gbk")  # GBK, not UTF-8
    lines = text.split("\r\n")
    assert lines[0] == ",".join(COLUMNS) + "," and all(ln.endswith(",") for ln in lines if ln)  # trailing comma
    raw = read_raw(export.csv)
    assert list(raw.columns) == COLUMNS
    assert 12_000 <= len(raw) <= 20_000
    assert 8_000 <= raw["订单号"].nunique() <= 12_000 and raw["订单号"].str.fullmatch(r"\d{12}").all()
    assert raw["商品ID"].str.fullmatch(r"\d{14}").all()
    assert raw["下单时间"].iloc[0].startswith("2026-06-30") and raw["下单时间"].min().startswith("2024-07-01")
    assert raw["下单时间"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    status = raw["订单状态"].str.replace("(删除)", "", regex=False)
    assert set(status) == {"完成", "等待确认收货", "等待出库", "等待付款", "已取消", "锁定"}
    assert raw["订单状态"].str.startswith("(删除)").sum() > 100
    assert set(raw["支付方式"]) == {"在线支付", "货到付款"}
    cod = raw["支付方式"] == "货到付款"
    assert (raw.loc[cod & status.isin(["等待出库", "等待确认收货"]), "付款确认时间"] == "").all()
    assert set(raw["订单来源"]) == {"移动端订单", "微信订单", "PC端订单", "手Q订单"}
    assert set(raw["仓库名称"]) == {"嘉定自有仓", "京东仓-广州", "京东仓-北京"}
    assert raw["联系电话"].str.fullmatch(r"1\d\d\*{4}\d{4}").all() and raw["客户姓名"].str.fullmatch(r".\*\*").all()
    assert raw["客户地址"].map(lambda a: any(a.startswith(p) for p in PROVINCES)).all()
    assert not raw["客户地址"].str.contains("省").any()
    pins = raw["下单帐号"]
    assert 5_000 <= pins.nunique() <= 7_000 and pins.str.startswith("jd_").mean() > 0.3
    assert pins.str.contains("@").any() and pins.str.contains(r"[\u4e00-\u9fff]").any()
    money = {c: pd.to_numeric(raw[c]) for c in ("京东价", "订购数量", "订单金额", "结算金额", "余额支付", "应付金额", "运费金额")}
    assert ((money["结算金额"] - money["余额支付"] - money["应付金额"]).abs() < 0.005).all()
    assert (money["结算金额"] <= money["订单金额"] + 0.005).all()
    orders = raw.assign(goods=money["京东价"] * money["订购数量"]).groupby("订单号")
    for c in ("订单状态", "下单时间", "付款确认时间", "下单帐号", "客户地址", "支付方式", "订单金额", "结算金额", "运费金额",
              "仓库名称"):
        assert orders[c].nunique().max() == 1, c  # order-level, repeated on each line
    first = orders[["订单金额", "运费金额"]].first().apply(pd.to_numeric)
    assert ((orders["goods"].sum() + first["运费金额"] - first["订单金额"]).abs() < 0.005).all()
    assert (orders.size() > 1).sum() > 2_000
    assert raw["商品名称"].str.contains("(赠品)", regex=False).any() and (money["京东价"] == 0).any()
    judging.check_questions(JUDGE, FUNCTIONS, export, per_language=20)


def test_judge_jd_answers_with_the_right_number(automatic):
    assert automatic["accuracy"]["all"]["accuracy"] >= FLOOR, judging.table(automatic)


def test_judge_jd_never_shows_an_email_pin(export, automatic):
    """No answer text, tool argument or tool result of the automatic pass holds a buyer account that is an e-mail."""
    pins = file_email_pins(export.csv)
    assert len(pins) > 100
    assert not leaked_emails(automatic, pins)


@pytest.mark.slow
def test_judge_jd_owner_mapping_diagnostic(export, tmp_path):
    """Diagnostic: the owner-mapped load, to tell the loader's losses from the planner's."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)
    leaks = leaked_emails(result["owner_mapping"], file_email_pins(export.csv))
    print(f"e-mail pins shown (owner mapping), per question: {json.dumps({q: len(v) for q, v in leaks.items()})}")


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **DIAGNOSTICS}))
