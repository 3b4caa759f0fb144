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
breakdown, its table) shows it: tests/judging.py's `judge` (the judges' shared rules), which also runs the passes.

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

import sys
from pathlib import Path

import pytest

from tests import judging

FLOOR = 0.9               # automatic load of the GBK export: first measurement 0/40 (refused as binary), b35bce9;
                          # 40/40 on 16d73c4 after the encoding sample, currency, article and tea-glossary fixes
FLOOR_MAPPED = 0.0        # diagnostic, GBK export with OWNER_MAPPING: 0/40 (the same refusal)
FLOOR_UTF8 = 0.9          # diagnostic, the export re-saved as UTF-8, automatic load: 37/40 = 92.5%
FLOOR_UTF8_MAPPED = 0.9   # diagnostic, UTF-8 copy with OWNER_MAPPING: 37/40 = 92.5%
TARGET = 0.9
JUDGE = judging.Judge("judge_cn", currency="CNY", target=TARGET)  # tests/data/judge_cn/
# Diagnostic only: every contract field named by the export's own header, as a shop owner would after a refusal.
OWNER_MAPPING = {"customer_id": "买家会员名", "order_id": "订单编号", "order_date": "下单时间", "amount": "实付金额",
                 "product": "商品标题", "category": "商品分类", "quantity": "购买数量", "status": "订单状态",
                 "channel": "订单来源"}


def write_utf8(csv: Path, workdir: Path) -> Path:
    """The same export re-saved as UTF-8 (with a BOM, as Excel's and WPS's "CSV UTF-8" save it): what a shop owner does
    when the GBK file is refused. Not one byte of content changes."""
    out = workdir / "utf8" / csv.name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(csv.read_bytes().decode("gbk"), encoding="utf-8-sig", newline="")
    return out


AUTOMATIC = {"automatic": judging.Pass(FLOOR)}
OWNER = {"owner_mapping": judging.Pass(FLOOR_MAPPED, OWNER_MAPPING)}
DIAGNOSTICS = {"diagnostic_utf8": judging.Pass(FLOOR_UTF8, copy=write_utf8, copy_name="UTF-8 copy"),
               "diagnostic_utf8_owner_mapping": judging.Pass(FLOOR_UTF8_MAPPED, OWNER_MAPPING, write_utf8,
                                                             "UTF-8 copy")}


# --- pytest ---------------------------------------------------------------------------------------------
export = judging.export_fixture(JUDGE)  # the export and its answers, generated once for these tests


def test_expected_answers_are_computable(export):
    """The independent pandas answers exist for every question and the file is what the generator promises."""
    import pandas as pd

    from tests.data.judge_cn.expected import FUNCTIONS

    raw = pd.read_csv(export.csv, dtype=str, keep_default_na=False, encoding="gbk")
    assert 15_000 <= len(raw) <= 25_000 and 2_000 <= raw["买家会员名"].nunique() <= 3_000
    assert raw["订单编号"].str.startswith('="').all() and raw["实付金额"].str.startswith("￥").all()
    assert raw["实付金额"].str.contains(",").any() and raw["购买数量"].eq("").sum() == 8
    assert raw["下单时间"].str.contains("/").any() and raw["下单时间"].str.contains("-").any()
    multi = raw[raw.duplicated("订单编号", keep=False)]  # order-level fields repeated on every line of an order
    assert len(multi) > 5_000 and (multi.groupby("订单编号")[["订单状态", "运费", "店铺优惠"]].nunique() == 1).all().all()
    assert {"交易关闭", "已退款", "等待买家付款"} <= set(raw["订单状态"])
    assert raw["商品分类"].nunique() > 7  # spacing variants
    judging.check_questions(JUDGE, FUNCTIONS, export, per_language=20)


def test_judge_cn_answers_with_the_right_number(export, tmp_path):
    result = judging.run_passes(JUDGE, tmp_path, AUTOMATIC, export)
    if result["automatic"]["load"]["refused"]:  # tell the loader's losses from the planner's
        result.update(judging.run_passes(JUDGE, tmp_path, OWNER, export))
    judging.check(result, JUDGE.artifact)


@pytest.mark.slow
def test_judge_cn_diagnostic_utf8_copy(export, tmp_path):
    """Diagnostic: the same export re-saved as UTF-8, loaded automatically and with the owner's mapping."""
    result = judging.run_passes(JUDGE, tmp_path, DIAGNOSTICS, export)
    judging.check(result, JUDGE.diagnostic_artifact)
    for res in result.values():
        assert res["load"]["refused"] is None, judging.table(res)


if __name__ == "__main__":
    sys.exit(judging.main(JUDGE, {**AUTOMATIC, **OWNER, **DIAGNOSTICS}))
