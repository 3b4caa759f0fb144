"""Independent judgement on a Tmall-style order export of a Chinese tea & teaware shop (never seen by the planner).

tests/data/judge_cn/make_shop.py writes what a Taobao/Tmall line-level order export gives, in GBK with Chinese
headers: 订单编号 (the order, Excel-safe ="2031..."), 子订单编号 (the line; equal to the order number for a one-item
order), 买家会员名 (the customer), 会员等级 (the level WHEN the order was placed, so it rises; blank for
non-members), 收货人姓名 / 联系手机 / 收货地址 (PII), 收货省份 / 收货城市 (the order's shipping address; ~5% of buyers
ship gifts to a second province), 下单时间 in two formats ("2024/3/5 14:22:01" before 2025-07, "2025-07-05 14:22"
after), 付款时间 (blank when unpaid), 订单状态 (交易成功 / 卖家已发货，等待买家确认 / 买家已付款，等待卖家发货 /
等待买家付款 / 交易关闭 / 已退款), 支付方式 (支付宝 / 花呗 / 银行卡 / 微信支付 from 2024-09), 订单来源 (手机淘宝 /
淘宝直播 / 电脑端), 商品标题, 商品分类 (绿茶 红茶 乌龙茶 普洱 白茶 花茶 茶具, a few in spacing variants), 商品单价 (a
unit price), 购买数量 (8 blank), 实付金额 (the LINE's paid goods amount, "￥1,234.00"), and the order-level 店铺优惠 /
运费 / 物流公司 / 物流单号 / 买家留言. ORDER-LEVEL FIELDS ARE REPEATED ON EVERY LINE of an order (Tmall/JD style),
so 店铺优惠 and 运费 overcount when summed over lines. 15,277 lines, 3,000 buyers, 9,015 orders, 2024-03-16 ..
2026-03-15.

Revenue is the sum of 实付金额 over orders that are 交易成功 / 已发货 / 已付款待发货; 交易关闭 and 已退款 are cancelled
(refunded = 已退款); the handful of 等待买家付款 orders of the last two days are accepted either way. The expected
answers are computed independently with pandas from the raw file (tests/data/judge_cn/expected.py, which states
its reading of each question and accepts every value of its genuinely open readings). The 40 questions of
tests/data/judge_cn/questions.jsonl (20 English, 20 Chinese, written as a tea shop's marketer would type them,
before any was run and without reading how questions are parsed) are each asked offline in a fresh marketer
conversation. An answer is right when a tool result carries the expected number and the answer text (or, for a
breakdown, its table) shows it: tests/test_judge_shopify.py's `judge`, reused by import.

Passes, each in a fresh TIERWISE_HOME workspace (currency CNY):
1. automatic: the product's normal automatic load of the file as exported (GBK, no mapping) — the measurement
   that counts;
2. owner_mapping (diagnostic): the same file loaded naming every contract field (OWNER_MAPPING). It runs in the
   main test when the automatic load is refused;
3. diagnostic_utf8 and diagnostic_utf8_owner_mapping (slow test): the same export re-saved as UTF-8 (what an owner
   does after the refusal; not one value changes), loaded automatically and with OWNER_MAPPING, to tell the
   encoding loss, the column-mapping losses and the planner's losses apart.

`pytest -s tests/test_judge_cn.py` (`-m slow` for pass 3) or `python -m tests.test_judge_cn` (every pass) prints
the load mapping and warnings, the per-question table and the accuracy (English, Chinese, total) and writes
test-artifacts/judge_cn.json (pass 3: test-artifacts/judge_cn_diagnostic.json).

First measurement, 2026-12-03, on commit b35bce9 (HEAD, exported clean with git archive; the same verdict on
bd5d98a, HEAD when this was committed):
- automatic: en 0/20, zh 0/20, total 0/40 = 0%. The load is REFUSED: "File 'tmall_orders_export.csv' looks like
  binary data". tools/reading.detect_encoding reads a 256 KB sample; it ends in the middle of a two-byte GBK
  character, so it is not UTF-8, and charset_normalizer finds no encoding for a sample whose last character is cut
  (from_bytes(sample).best() is None; one byte less gives gb18030), which is taken for binary. Any GBK/GB18030
  export above 256 KB whose sample boundary splits a character is refused this way.
- owner_mapping: 0/40, the same refusal (encoding is sniffed before any mapping).
- diagnostic_utf8 (automatic): en 17/20, zh 20/20, total 37/40 = 92.5%; diagnostic_utf8_owner_mapping: the same
  37/40 with the same verdicts. The automatic mapping is complete and right (订单编号, 买家会员名, 下单时间 in both
  formats, 实付金额 "￥1,234.00", 商品单价, 购买数量, 订单状态 with 交易关闭/已退款 cancelled, 订单来源 as channel,
  商品标题, 商品分类 with spacing variants merged; 收货人姓名/联系手机/收货地址 kept out as PII), so past the encoding
  no loss is the loader's. The three wrong answers are the planner's:
  - e14 "How many customers have spent more than ¥2,000 in total?": a clarifying question (number / list /
    overview) instead of the count (its Chinese twin z13 with 5000元 is answered by find_customers);
  - e18 "What's the average order value by member level?": refused as out of scope; English "member level" is not
    linked to the 会员等级 attribute (z17 "各会员等级分别有多少客户" is answered);
  - e20 "What was our revenue from green tea in 2025?": wrong filter; "green tea" is not linked to the category
    value 绿茶, so it answers all 2025 revenue (CNY 1,870,556 instead of 384,362.81).
  Judging note: on the very first run z05 and z20 were judged wrong because their `expect` lacked the group the
  question names (微信支付, 淘宝直播). The product answered with a breakdown whose text states the asked group's
  share ("微信支付占销售额的15.1%"), but the judge read the first row (支付宝). The group was added to those
  two (and to z18, e20, which also name one). No question or expected value changed: 35/40 as first judged,
  37/40 after that fix.
- Seen, not counted: 子订单编号 (a line id, values still wrapped as ="…") and 物流单号 (a tracking number, 8,431
  values) are kept as categorical order attributes; the constant 店铺名称 is kept as an attribute; the 等待买家付款
  (unpaid) orders count as completed revenue (accepted as an open reading); English answers label groups with the
  Chinese header ("Revenue by 收货省份").
Each floor is its first measurement rounded down to the nearest 5% (0%, 0%, 90%, 90%), a guard against
regressions; TARGET = 0.9 (issue 10). Questions and expected answers are never tuned to pass.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from tests.test_judge_shopify import judge, table

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "judge_cn"
ARTIFACT = HERE.parent / "test-artifacts" / "judge_cn.json"
ARTIFACT_DIAGNOSTIC = HERE.parent / "test-artifacts" / "judge_cn_diagnostic.json"
FLOOR = 0.0               # automatic load of the GBK export: first measurement 0/40 (refused as binary), b35bce9
FLOOR_MAPPED = 0.0        # diagnostic, GBK export with OWNER_MAPPING: 0/40 (the same refusal)
FLOOR_UTF8 = 0.9          # diagnostic, the export re-saved as UTF-8, automatic load: 37/40 = 92.5%
FLOOR_UTF8_MAPPED = 0.9   # diagnostic, UTF-8 copy with OWNER_MAPPING: 37/40 = 92.5%
TARGET = 0.9
# Diagnostic only: every contract field named by the export's own header, as a shop owner would after a refusal.
OWNER_MAPPING = {"customer_id": "买家会员名", "order_id": "订单编号", "order_date": "下单时间", "amount": "实付金额",
                 "product": "商品标题", "category": "商品分类", "quantity": "购买数量", "status": "订单状态",
                 "channel": "订单来源"}


def questions() -> list[dict[str, Any]]:
    with open(DATA / "questions.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_utf8(csv: Path, out: Path) -> Path:
    """The same export re-saved as UTF-8 (with a BOM, as Excel's and WPS's "CSV UTF-8" save it): what a shop owner does
    when the GBK file is refused. Not one byte of content changes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(csv.read_bytes().decode("gbk"), encoding="utf-8-sig", newline="")
    return out


def run(workdir: str | Path, mapping: dict[str, str] | None = None, utf8: bool = False) -> dict[str, Any]:
    """Generate, load automatically (or with `mapping`; from a UTF-8 copy with `utf8`), ask every question, judge. A
    refused load is recorded and every question counts as wrong (there is no dataset to answer from)."""
    from assistant.core import Assistant
    from tests.data.judge_cn.expected import AMBIGUOUS, expected_values, load_all
    from tests.data.judge_cn.make_shop import write_shop
    from tools.errors import TierwiseError
    from tools.loading import load_dataset
    from tools.settings import write_settings
    from tools.workspace import Workspace

    workdir = Path(workdir)
    csv = write_shop(workdir / "export")
    shops = load_all(csv)
    expected = expected_values(shops)
    if utf8:
        csv = write_utf8(csv, workdir / "utf8" / csv.name)
    home = workdir / "home"
    previous_home = os.environ.get("TIERWISE_HOME")
    os.environ["TIERWISE_HOME"] = str(home)
    try:
        write_settings(home, currency="CNY")
        started = time.perf_counter()
        refused = None
        try:
            report = load_dataset(Workspace(home), csv, mapping=mapping)
        except TierwiseError as exc:
            report, refused = {}, str(exc)
            used = re.search(r"the mapping used was (.*?)\. Fix", refused)
            if used:
                report["mapping"] = dict(pair.split("=", 1) for pair in used.group(1).split(", ") if "=" in pair)
        load_seconds = time.perf_counter() - started
        assistant = None if refused else Assistant(Workspace(home))
        rows = []
        for q in questions():
            want = expected[q["id"]]
            started = time.perf_counter()
            if assistant is None:
                verdict = {"number_ok": False, "text_ok": False, "shown_in": None, "right": False, "got": None,
                           "where": "load refused"}
                calls, text = [], f"(not asked: load refused: {refused})"
            else:
                answer = assistant.ask(q["q"], assistant.conversation("marketer"))
                verdict = judge(answer, q["expect"], want, q["lang"])
                calls = [{"name": c.name, "args": c.args, "status": c.status, "error": c.error}
                         for c in answer.tool_calls]
                text = answer.text
            rows.append({
                "id": q["id"], "lang": q["lang"], "q": q["q"], "kind": q["expect"]["kind"], "expected": want,
                "ambiguous": AMBIGUOUS.get(q["id"]), **verdict, "calls": calls, "answer": text,
                "seconds": round(time.perf_counter() - started, 3),
            })
    finally:
        if previous_home is None:
            os.environ.pop("TIERWISE_HOME", None)
        else:
            os.environ["TIERWISE_HOME"] = previous_home
    acc = {}
    for lang in ("en", "zh", "all"):
        part = [r for r in rows if lang == "all" or r["lang"] == lang]
        acc[lang] = {"right": sum(r["right"] for r in part), "asked": len(part),
                     "accuracy": round(sum(r["right"] for r in part) / len(part), 4)}
    load_info = {k: report.get(k) for k in ("rows_read", "rows_kept", "cancelled", "rows_rejected",
                                            "rejected_by_reason", "as_of", "date_min", "date_max", "customers",
                                            "customers_all_cancelled", "mapping", "unmapped_columns", "warnings")}
    load_info["attributes"] = [{k: a.get(k) for k in ("name", "source_column", "type", "grain", "distinct",
                                                      "values", "missing", "merged")}
                               for a in report.get("attributes") or []]
    load_info["refused"] = refused
    load_info["mapping_given"] = mapping
    load_info["precleaned"] = utf8  # table() labels it "DIAGNOSTIC pre-cleaned copy": here, re-saved as UTF-8
    load_info["seconds"] = round(load_seconds, 2)
    load_info["expected_as_of"] = shops[0].as_of.isoformat()
    floor = (FLOOR_UTF8_MAPPED if mapping else FLOOR_UTF8) if utf8 else FLOOR_MAPPED if mapping else FLOOR
    return {"accuracy": acc, "floor": floor, "target": TARGET, "load": load_info, "questions": rows}


def run_diagnostics(workdir: str | Path) -> dict[str, Any]:
    workdir = Path(workdir)
    return {"diagnostic_utf8": run(workdir / "utf8_auto", utf8=True),
            "diagnostic_utf8_owner_mapping": run(workdir / "utf8_mapped", OWNER_MAPPING, utf8=True)}


def run_all(workdir: str | Path) -> dict[str, Any]:
    workdir = Path(workdir)
    return {"automatic": run(workdir / "auto"), "owner_mapping": run(workdir / "mapped", OWNER_MAPPING),
            **run_diagnostics(workdir)}


def write_artifact(result: dict[str, Any], path: Path = ARTIFACT) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return path


# --- pytest ---------------------------------------------------------------------------------------------
def test_expected_answers_are_computable(tmp_path):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_cn.expected import FUNCTIONS, expected_values, load_all
    from tests.data.judge_cn.make_shop import write_shop

    path = write_shop(tmp_path)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gbk")
    assert 15_000 <= len(raw) <= 25_000 and 2_000 <= raw["买家会员名"].nunique() <= 3_000
    assert raw["订单编号"].str.startswith('="').all() and raw["实付金额"].str.startswith("￥").all()
    assert raw["实付金额"].str.contains(",").any() and raw["购买数量"].eq("").sum() == 8
    assert raw["下单时间"].str.contains("/").any() and raw["下单时间"].str.contains("-").any()
    multi = raw[raw.duplicated("订单编号", keep=False)]  # order-level fields repeated on every line of an order
    assert len(multi) > 5_000 and (multi.groupby("订单编号")[["订单状态", "运费", "店铺优惠"]].nunique() == 1).all().all()
    assert {"交易关闭", "已退款", "等待买家付款"} <= set(raw["订单状态"])
    assert raw["商品分类"].nunique() > 7  # spacing variants
    qs = questions()
    assert {q["id"] for q in qs} == set(FUNCTIONS) and len(qs) == 40
    assert sum(q["lang"] == "en" for q in qs) == sum(q["lang"] == "zh" for q in qs) == 20
    for qid, value in expected_values(load_all(path)).items():
        assert value is not None and value == value and value != [], qid


def test_judge_cn_answers_with_the_right_number(tmp_path):
    result = {"automatic": run(tmp_path / "auto")}
    if result["automatic"]["load"]["refused"]:  # tell the loader's losses from the planner's
        result["owner_mapping"] = run(tmp_path / "mapped", OWNER_MAPPING)
    write_artifact(result)
    print()
    for res in result.values():
        print(table(res))
    assert result["automatic"]["accuracy"]["all"]["accuracy"] >= FLOOR, table(result["automatic"])


@pytest.mark.slow
def test_judge_cn_diagnostic_utf8_copy(tmp_path):
    """Diagnostic: the same export re-saved as UTF-8, loaded automatically and with the owner's mapping."""
    result = run_diagnostics(tmp_path)
    write_artifact(result, ARTIFACT_DIAGNOSTIC)
    print()
    for res in result.values():
        print(table(res))
    for res in result.values():
        assert res["load"]["refused"] is None, table(res)
        assert res["accuracy"]["all"]["accuracy"] >= res["floor"], table(res)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_all(tmp)
    for res in outcome.values():
        print(table(res))
    print(f"written: {write_artifact(outcome)}")
    sys.exit(0 if all(r["accuracy"]["all"]["accuracy"] >= r["floor"] for r in outcome.values()) else 1)
