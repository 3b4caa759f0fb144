"""Independent answers to tests/data/judge_youzan/questions.jsonl, computed with pandas from the raw Youzan export.

The reading (what the owner of a Youzan shop means, stated once; each question below says what it adds):
- The file is UTF-8 with a BOM; the phone columns and numeric tracking numbers carry a leading tab, stripped.
- A SALE is an item line of an order that was paid and not taken back: 订单状态 交易成功 or 已发货 (and 待发货, paid
  but not shipped yet: counted or not, both accepted — "completed/shipped" vs "paid"), whose 商品退款状态 is not
  退款成功 (a refunded line; 退款关闭 is a refused/withdrawn request, the sale stands; 退款中, a refund under way in
  the last days, is counted as a sale or as refunded, both accepted). 交易关闭 (never paid, or paid and refunded in
  full) and 待付款 are not sales.
- Revenue is the sales' 商品实际成交金额 (the line's goods after 限时折扣/拼团 prices and its share of the coupon).
  Shipping (运费) is not revenue; 订单实付金额 (goods + shipping, order-level) is not summed.
- An order is an 订单号 with at least one sale line. The ORDER-level columns (运费, 订单实付金额) repeat on each line
  of an order: counted once per order.
- A customer is a 买家手机号 (the key Youzan shops use; the WeChat nickname changes, and thousands of lines show the
  default "微信用户"). Orders with no phone are sales and orders but belong to no known customer.
- The date of an order is its 订单创建时间 (下单时间) or its 买家付款时间; both accepted (they differ only for an order
  paid after midnight). The as-of date is the last day of the file (2026-05-31): "this year" is 2026-01-01..
  2026-05-31, "last year" 2025, "last month" April 2026, "the last 12 months" June 2025..May 2026.
- The owner's TEST orders (商家订单备注 "测试单 勿发货", 测试商品 at ¥0.01) are left out, or kept as the file has them;
  both accepted.
`load_all(csv)` gives the raw file under each combination of the open readings (待发货 / 退款中 / test orders /
order date); each question's accepted values are those its readings give (a list when they differ).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from tests.data.judging_expected import collect

SALE = ("交易成功", "已发货")
PENDING = "待发货"


def _money(col: pd.Series) -> pd.Series:
    return pd.to_numeric(col.str.strip().replace("", "0"))


def _spec(col: pd.Series, name: str) -> pd.Series:
    """A property of 商品规格 ("颜色:浅粉;尺码:90cm" -> 浅粉 for 颜色), or None."""
    def one(text: str):
        for part in text.split(";"):
            key, sep, value = part.partition(":")
            if sep and key.strip() == name:
                return value.strip()
        return None
    return col.map(one)


def read_raw(csv: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    phone = raw["买家手机号"].str.strip()
    return pd.DataFrame({
        "order": raw["订单号"].str.strip(),
        "status": raw["订单状态"],
        "created": pd.to_datetime(raw["订单创建时间"], format="%Y-%m-%d %H:%M:%S"),
        "paid": pd.to_datetime(raw["买家付款时间"].replace("", None), format="%Y-%m-%d %H:%M:%S"),
        "source": raw["订单来源"],
        "nick": raw["买家昵称"],
        "phone": phone.where(phone != "", None),
        "level": raw["会员等级"].replace("", None),
        "product": raw["商品名称"],
        "category": raw["商品类目"].replace("", None),
        "colour": _spec(raw["商品规格"], "颜色"),
        "size": _spec(raw["商品规格"], "尺码"),
        "qty": pd.to_numeric(raw["商品数量"]),
        "amount": _money(raw["商品实际成交金额"]),
        "shipping": _money(raw["运费"]),
        "refund": raw["商品退款状态"],
        "refunded": _money(raw["商品已退款金额"]),
        "recipient": raw["收货人/提货人"],
        "recipient_phone": raw["收货人手机号/提货人手机号"].str.strip(),
        "province": raw["收货人省份"],
        "city": raw["收货人城市"],
        "distributor": raw["分销员昵称"].replace("", None),
        "test": raw["商家订单备注"].str.contains("测试") | raw["商品名称"].str.contains("测试商品"),
    })


@dataclass
class Shop:
    lines: pd.DataFrame      # every line of the file with `day` (this reading's order date)
    pending: bool            # 待发货 lines are sales
    refunding_sale: bool     # 退款中 lines are sales (else refunds)
    tests: bool              # the test orders are kept
    date_by: str             # "created" or "paid"
    as_of: date = None
    sales: pd.DataFrame = None
    refunds: pd.DataFrame = None
    _customers: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self):
        ln = self.lines
        kept = ln if self.tests else ln[~ln["test"]]
        statuses = SALE + ((PENDING,) if self.pending else ())
        refunded = (kept["refund"] == "退款成功") | ((kept["refund"] == "退款中") & (not self.refunding_sale))
        self.sales = kept[kept["status"].isin(statuses) & ~refunded]
        self.refunds = kept[refunded]
        self.as_of = ln["day"].dropna().max()


def load_all(csv: str | Path) -> list[Shop]:
    raw = read_raw(csv)
    shops = []
    for date_by, pending, refunding, tests in itertools.product(("created", "paid"), (True, False), (True, False),
                                                                 (False, True)):
        lines = raw.copy()
        lines["day"] = lines[date_by].dt.date
        shops.append(Shop(lines, pending, refunding, tests, date_by))
    return shops


# --- helpers ----------------------------------------------------------------------------------------------
def _in(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return frame[(frame["day"] >= start) & (frame["day"] <= end)]


def _year(frame: pd.DataFrame, y: int) -> pd.DataFrame:
    return _in(frame, date(y, 1, 1), date(y, 12, 31))


def _month(frame: pd.DataFrame, y: int, m: int) -> pd.DataFrame:
    end = (pd.Timestamp(y, m, 1) + pd.offsets.MonthEnd(0)).date()
    return _in(frame, date(y, m, 1), end)


def _revenue(frame: pd.DataFrame) -> float:
    return round(float(frame["amount"].sum()), 2)


def _orders(frame: pd.DataFrame) -> int:
    return int(frame["order"].nunique())


def _shipping(frame: pd.DataFrame) -> float:
    """运费 is order-level, repeated on each line: once per order."""
    return round(float(frame.groupby("order")["shipping"].first().sum()), 2)


def _customers(s: Shop) -> pd.DataFrame:
    """One row per customer (phone): first and last order day, orders, spend."""
    if s._customers is None:
        known = s.sales[s.sales["phone"].notna()]
        out = known.groupby("phone").agg(first=("day", "min"), last=("day", "max"), orders=("order", "nunique"),
                                         spend=("amount", "sum"))
        out["spend"] = out["spend"].round(2)
        s._customers = out
    return s._customers


def _top(series: pd.Series) -> str:
    ordered = series.sort_values(ascending=False)
    assert ordered.iloc[0] > ordered.iloc[1], f"the top group is a tie: {ordered.head(2).to_dict()}"
    return str(ordered.index[0])


def _top_units_or_revenue(frame: pd.DataFrame, by: str) -> list[str]:
    """What "sells best": by units, or by revenue."""
    return [_top(frame.groupby(by)["qty"].sum()), _top(frame.groupby(by)["amount"].sum())]


def _top_of(frame: pd.DataFrame, by: str) -> list[str]:
    """What "sells the most": by revenue, units or orders."""
    return _top_units_or_revenue(frame, by) + [_top(frame.groupby(by)["order"].nunique())]


def _change(now: float, before: float) -> float:
    return (now - before) / abs(before)


def _refunded_orders(s: Shop) -> list[int]:
    """Orders with a refunded line, or only those refunded in full (every line of the order refunded)."""
    kept = s.lines if s.tests else s.lines[~s.lines["test"]]
    refunded = kept.index.isin(s.refunds.index)
    whole = pd.Series(refunded, index=kept.index).groupby(kept["order"]).all()
    return [_orders(s.refunds), int(whole.sum())]


def _refund_rates(s: Shop) -> list[float]:
    """退款率: refunded orders (any refund, or refunded in full) ÷ paid orders (sales and refunded ones), or the
    refunded amount ÷ the paid goods amount (revenue + refunds)."""
    paid_orders = len(set(s.sales["order"]) | set(s.refunds["order"]))
    any_, whole = _refunded_orders(s)
    amount = float(s.refunds["amount"].sum())
    return [any_ / paid_orders, whole / paid_orders, amount / (amount + _revenue(s.sales))]


def _top_customer_names(s: Shop) -> list[str]:
    """The top spender as an owner would name her without her phone number: any WeChat nickname she ordered under
    (newest first), the masked phone (138****5678) or the name she ships to most."""
    phone = _top(_customers(s)["spend"])
    mine = s.sales[s.sales["phone"] == phone].sort_values("created", ascending=False)
    nicks = [n for n in dict.fromkeys(mine["nick"]) if n and n != "微信用户"]
    return nicks + [f"{phone[:3]}****{phone[-4:]}", str(mine["recipient"].value_counts().index[0])]


def _lapsed(s: Shop) -> list[int]:
    """半年 without an order: more than 179..183 days since the last order (half a year, read loosely), of the
    customers with 2+ orders ("老客户" = returning customers) or of every customer who bought before."""
    c = _customers(s)
    since = (pd.Timestamp(s.as_of) - pd.to_datetime(c["last"])).dt.days
    return [int(((since > d) & (c["orders"] >= k)).sum()) for d in range(179, 184) for k in (2, 1)]


# --- the questions ----------------------------------------------------------------------------------------
FUNCTIONS = {
    # total revenue, all time
    "e01": lambda s: _revenue(s.sales),
    # orders, all time
    "e02": lambda s: _orders(s.sales),
    # average order value: revenue / orders
    "e03": lambda s: _revenue(s.sales) / _orders(s.sales),
    # best-selling product (商品名称): by units, or by revenue
    "e04": lambda s: _top_units_or_revenue(s.sales, "product"),
    # revenue in 2025
    "e05": lambda s: _revenue(_year(s.sales, 2025)),
    # revenue of 订单来源 直播 (live stream)
    "e06": lambda s: _revenue(s.sales[s.sales["source"] == "直播"]),
    # the 收货人省份 with the most revenue; "广东省" or "广东"
    "e07": lambda s: _top(s.sales.groupby("province")["amount"].sum()),
    # customers (distinct phones with a sale)
    "e08": lambda s: len(_customers(s)),
    # repeat rate: customers with 2+ orders / customers
    "e09": lambda s: float((_customers(s)["orders"] >= 2).mean()),
    # refunded money, all time (商品已退款金额 of 退款成功 lines; with the 退款中 lines' amounts when they count as
    # refunds); either sign
    "e10": lambda s: [round(float(s.refunds["amount"].sum()), 2), -round(float(s.refunds["amount"].sum()), 2)],
    # refunded orders: with any refunded line, or refunded in full
    "e11": lambda s: _refunded_orders(s),
    # shipping paid in 2025 (运费 once per order of the sales)
    "e12": lambda s: _shipping(_year(s.sales, 2025)),
    # monthly revenue, last 12 months: December 2025's row
    "e13": lambda s: _revenue(_month(s.sales, 2025, 12)),
    # top customer by spend, named without the phone: a nickname, the masked phone or the recipient name
    "e14": lambda s: _top_customer_names(s),
    # April 2026 vs March 2026 revenue, relative change
    "e15": lambda s: _change(_revenue(_month(s.sales, 2026, 4)), _revenue(_month(s.sales, 2026, 3))),
    # the colour (商品规格 颜色:) that sells best: by units, or by revenue
    "e16": lambda s: _top_units_or_revenue(s.sales, "colour"),
    # orders through distributors: 订单来源 分销 (the same orders as a non-blank 分销员昵称)
    "e17": lambda s: _orders(s.sales[s.sales["source"] == "分销"]),
    # AOV of 会员等级 金卡会员
    "e18": lambda s: (_revenue(s.sales[s.sales["level"] == "金卡会员"])
                      / _orders(s.sales[s.sales["level"] == "金卡会员"])),
    # new customers this year: first order on or after 2026-01-01
    "e19": lambda s: int((_customers(s)["first"] >= date(2026, 1, 1)).sum()),
    # revenue shipped to 杭州市
    "e20": lambda s: _revenue(s.sales[s.sales["city"] == "杭州市"]),
    # revenue this year, 2026-01-01..as-of
    "z01": lambda s: _revenue(_in(s.sales, date(2026, 1, 1), s.as_of)),
    # orders last month (April 2026)
    "z02": lambda s: _orders(_month(s.sales, 2026, 4)),
    # AOV in 2025
    "z03": lambda s: _revenue(_year(s.sales, 2025)) / _orders(_year(s.sales, 2025)),
    # the 商品类目 that sells best: by revenue, or by units
    "z04": lambda s: _top_units_or_revenue(s.sales, "category"),
    # revenue by province: 浙江省's row
    "z05": lambda s: _revenue(s.sales[s.sales["province"] == "浙江省"]),
    # 直播 or 微信小程序, which sells more: by revenue, units or orders
    "z06": lambda s: _top_of(s.sales[s.sales["source"].isin(["直播", "微信小程序"])], "source"),
    # returning customers: 2+ orders
    "z07": lambda s: int((_customers(s)["orders"] >= 2).sum()),
    # 金卡会员 customers: among customers with a sale, or every phone the file shows at that level
    "z08": lambda s: [int(s.sales.loc[s.sales["level"] == "金卡会员", "phone"].nunique()),
                      int(s.lines.loc[s.lines["level"] == "金卡会员", "phone"].nunique())],
    # revenue of 会员等级 钻石会员
    "z09": lambda s: _revenue(s.sales[s.sales["level"] == "钻石会员"]),
    # refund rate: refunded orders (any / in full) ÷ paid orders, or refunded ÷ paid goods amount
    "z10": lambda s: _refund_rates(s),
    # units sold in size 90cm (商品规格 尺码:90cm)
    "z11": lambda s: int(s.sales.loc[s.sales["size"] == "90cm", "qty"].sum()),
    # revenue on 双十一 last year, 2025-11-11
    "z12": lambda s: _revenue(_in(s.sales, date(2025, 11, 11), date(2025, 11, 11))),
    # shipping paid, all time, once per order
    "z13": lambda s: _shipping(s.sales),
    # orders in the last 30 days: as-of and the 29 days before, or 30 days before
    "z14": lambda s: [_orders(_in(s.sales, s.as_of - timedelta(days=d), s.as_of)) for d in (29, 30)],
    # May 2026 vs May 2025 revenue, relative change
    "z15": lambda s: _change(_revenue(_month(s.sales, 2026, 5)), _revenue(_month(s.sales, 2025, 5))),
    # the top customer's total spend
    "z16": lambda s: float(_customers(s)["spend"].max()),
    # revenue shipped to 深圳市
    "z17": lambda s: _revenue(s.sales[s.sales["city"] == "深圳市"]),
    # the distributor (分销员昵称) who sells most: by revenue, units or orders
    "z18": lambda s: _top_of(s.sales, "distributor"),
    # customers whose total spend is over 1,000 (more than, or at least)
    "z19": lambda s: [int((_customers(s)["spend"] > 1000).sum()), int((_customers(s)["spend"] >= 1000).sum())],
    # customers with no order for more than half a year: returning (2+ orders) or any; 180 days, read loosely
    "z20": lambda s: _lapsed(s),
}

PROVINCES = {"e07"}  # a province: as the file writes it (广东省) or without its suffix (广东)

_SALES = "待发货 and 退款中 counted as sales or not; test orders kept or not"
_DATED = "; dated by 订单创建时间 or 买家付款时间"
AMBIGUOUS = {
    **{q: _SALES for q in ("e01", "e02", "e03", "e06", "e08", "e09", "e17", "e18", "e20", "z05", "z07", "z09",
                           "z11", "z13", "z16", "z17")},
    **{q: _SALES + _DATED for q in ("e05", "e12", "e13", "e15", "e19", "z01", "z02", "z03", "z12", "z15")},
    "e04": "by units or by revenue", "e16": "by units or by revenue", "z04": "by units or by revenue",
    "z06": "by revenue, units or orders", "z18": "by revenue, units or orders",
    "e07": "the province as written (广东省) or without 省",
    "e10": "退款中 as refunded or not; test orders kept or not; either sign",
    "e11": "any refund, or refunded in full; 退款中 as refunded or not; test orders kept or not",
    "e14": "any nickname (but 微信用户), the masked phone or the usual recipient",
    "z08": "among buyers with a sale, or every phone shown at that level",
    "z10": "order-based (any refund / in full) or amount-based; " + _SALES,
    "z14": "the last 30 or 31 days up to the as-of day; " + _SALES + _DATED,
    "z19": "more than 1,000 or at least 1,000; " + _SALES,
    "z20": "179-183 days (half a year); returning customers or every customer; " + _SALES + _DATED,
}


def _names(qid: str, s: Shop, v: str) -> list[str]:
    """A province is also named without its 省."""
    return [v, v[:-1]] if qid in PROVINCES and v.endswith("省") else [v]


def expected_values(shops: list[Shop]) -> dict[str, object]:
    return collect(FUNCTIONS, shops, _names)
