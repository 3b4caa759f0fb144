"""Expected answers for tests/data/judge_cn/questions.jsonl, computed independently with pandas from the raw export.

Nothing here uses the product: the raw GBK file is read as text and parsed on its own.

The reading of the export (the correct one, stated once):
- a customer is a 买家会员名; an order is an 订单编号 (order-level fields are repeated on every line, so an
  order's fields are read from any of its lines); a line is a 子订单编号 row;
- the order date is the date of 下单时间 (both of its formats); 付款时间 falls on the same day when present;
- revenue is the sum of 实付金额 (the line's paid goods amount, "￥1,234.00") over KEPT lines; 运费 (shipping) and
  店铺优惠 are order-level and repeated on every line, so they are never summed over lines;
- kept (completed) orders: 交易成功, 卖家已发货，等待买家确认, 买家已付款，等待卖家发货 (all paid);
  cancelled: 交易关闭 and 已退款 (refunded: 已退款 only); "all orders placed" is every order of the file;
- 商品分类 values are the same category when they differ only by spaces ("乌龙 茶" = 乌龙茶);
- a blank 购买数量 is one unit (its 实付金额 is one unit's price less its discount share);
- the as-of date is the date of the last order in the file (2026-03-15); "last year" is 2025; "this year" 2026.

Genuinely open readings, each of whose values is accepted (list values):
- UNPAID: 等待买家付款 orders (a handful, on the last two days) are either not revenue yet (reading A) or
  completed orders like the other open ones (reading B) — every number is computed under both;
- per question, the readings listed in AMBIGUOUS.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

import pandas as pd

KEPT = {"交易成功", "卖家已发货，等待买家确认", "买家已付款，等待卖家发货"}
UNPAID = "等待买家付款"
CLOSED, REFUNDED = "交易关闭", "已退款"
CANCELLED = {CLOSED, REFUNDED}


@dataclass
class Shop:
    reading: str            # "A" (unpaid orders are not revenue) or "B" (they are)
    lines: pd.DataFrame     # every line of the file, parsed
    kept: pd.DataFrame      # the lines of kept orders under this reading
    orders: pd.DataFrame    # one row per kept order: order, customer, date, revenue, units, level, province, ...
    placed: pd.DataFrame    # one row per order of the file, any status
    as_of: date


def _parse_time(text: str) -> datetime:
    for fmt in ("%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            return datetime.strptime(text.strip(), fmt)
        except ValueError:
            pass
    raise ValueError(f"unparsed time {text!r}")


def _yuan(text: str) -> float:
    return float(text.replace("￥", "").replace("¥", "").replace(",", "").strip())


def read_raw(path: str | Path) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="gbk")
    out = pd.DataFrame({
        "order": raw["订单编号"].str.replace(r'^="?|"$', "", regex=True),
        "line": raw["子订单编号"].str.replace(r'^="?|"$', "", regex=True),
        "customer": raw["买家会员名"].str.strip(),
        "level": raw["会员等级"].str.strip(),
        "province": raw["收货省份"].str.strip(),
        "ts": raw["下单时间"].map(_parse_time),
        "paid_at": raw["付款时间"].str.strip(),
        "status": raw["订单状态"].str.strip(),
        "payment": raw["支付方式"].str.strip(),
        "source": raw["订单来源"].str.strip(),
        "product": raw["商品标题"].str.strip(),
        "category": raw["商品分类"].map(lambda s: re.sub(r"\s+", "", s)),
        "price": raw["商品单价"].astype(float),
        "qty_raw": pd.to_numeric(raw["购买数量"].replace("", None)),
        "shipping": raw["运费"].astype(float),
        "amount": raw["实付金额"].map(_yuan),
    })
    out["qty"] = out["qty_raw"].fillna(1)
    out["date"] = out["ts"].dt.date
    return out


def _orders(lines: pd.DataFrame) -> pd.DataFrame:
    g = lines.groupby("order", sort=False)
    return pd.DataFrame({
        "customer": g["customer"].first(), "date": g["date"].first(), "revenue": g["amount"].sum(),
        "units": g["qty"].sum(), "units_known": g["qty_raw"].sum(), "level": g["level"].first(),
        "province": g["province"].first(), "status": g["status"].first(), "paid_at": g["paid_at"].first(),
        "shipping": g["shipping"].first(), "payment": g["payment"].first(), "ts": g["ts"].first(),
    }).reset_index()


def load_all(path: str | Path) -> list[Shop]:
    lines = read_raw(path)
    placed = _orders(lines)
    as_of = lines["date"].max()
    shops = []
    for reading, statuses in (("A", KEPT), ("B", KEPT | {UNPAID})):
        kept = lines[lines["status"].isin(statuses)]
        shops.append(Shop(reading, lines, kept, _orders(kept), placed, as_of))
    return shops


# --- helpers --------------------------------------------------------------------------------------------
def _year(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    return frame[frame["date"].map(lambda d: d.year) == year]


def _between(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    return frame[(frame["date"] >= start) & (frame["date"] <= end)]


def _spend(s: Shop) -> pd.Series:
    return s.kept.groupby("customer")["amount"].sum()


def _aov(orders: pd.DataFrame) -> float:
    return orders["revenue"].sum() / len(orders)


def _top(series: pd.Series) -> str:
    series = series.sort_values(ascending=False, kind="stable")
    return series.index[0]


def _latest_level(orders: pd.DataFrame) -> pd.Series:
    return orders.sort_values("ts").groupby("customer")["level"].last()


def _repeat(s: Shop) -> list[float]:
    per = s.orders.groupby("customer")["order"].nunique()
    everyone = s.placed["customer"].nunique()
    placed_per = s.placed.groupby("customer")["order"].nunique()
    return [(per >= 2).sum() / len(per), (per >= 2).sum() / everyone, (placed_per >= 2).sum() / everyone]


def _lapsed(s: Shop) -> list[int]:
    """Customers whose last kept order is 6 months or more before the as-of date: 180..184 days (any day count a
    '6 months' window may use, '>=' or '>'), or the calendar date six months earlier."""
    last = s.orders.groupby("customer")["date"].max()
    days = last.map(lambda d: (s.as_of - d).days)
    out = [int((days >= n).sum()) for n in range(180, 186)]
    six = (pd.Timestamp(s.as_of) - pd.DateOffset(months=6)).date()
    out += [int((last < six).sum()), int((last <= six).sum())]
    return out


def _new_customers(s: Shop, start: date, end: date) -> list[int]:
    first_kept = s.orders.groupby("customer")["date"].min()
    first_any = s.placed.groupby("customer")["date"].min()
    return [int(((first_kept >= start) & (first_kept <= end)).sum()),
            int(((first_any >= start) & (first_any <= end)).sum())]


def _best_sellers(s: Shop) -> list[str]:
    k = s.kept
    return [_top(k.groupby("product")["qty"].sum()), _top(k.groupby("product")["qty_raw"].sum()),
            _top(k.groupby("product")["amount"].sum()), _top(k.groupby("product")["order"].nunique())]


def _bought_not(s: Shop, has: str, never: str) -> list[int]:
    k, every = s.kept, s.lines
    yes = set(k.loc[k["category"] == has, "customer"])
    out = [len(yes - set(k.loc[k["category"] == never, "customer"])),
           len(yes - set(every.loc[every["category"] == never, "customer"]))]
    return out


# --- one function per question --------------------------------------------------------------------------
def e01(s: Shop):  # total revenue; also read with shipping (运费, once per order) added
    return [s.kept["amount"].sum(), s.kept["amount"].sum() + s.orders["shipping"].sum()]


def e02(s: Shop):  # orders in 2025: kept orders, or every order placed ("did we get")
    return [len(_year(s.orders, 2025)), len(_year(s.placed, 2025))]


def e03(s: Shop):  # AOV = revenue ÷ kept orders (with shipping added too)
    return [_aov(s.orders), (s.orders["revenue"].sum() + s.orders["shipping"].sum()) / len(s.orders)]


def e04(s: Shop):  # revenue of category 普洱 (spacing variants merged)
    return s.kept.loc[s.kept["category"] == "普洱", "amount"].sum()


def e05(s: Shop):  # province of the most revenue (shipping province of the order)
    return _top(s.kept.groupby("province")["amount"].sum())


def e06(s: Shop):  # revenue paid with 微信支付
    return s.kept.loc[s.kept["payment"] == "微信支付", "amount"].sum()


def e07(s: Shop):  # best seller: by units, revenue or orders
    return _best_sellers(s)


def e08(s: Shop):  # customers with 2+ orders ÷ customers
    return _repeat(s)


def e09(s: Shop):  # (交易关闭 + 已退款 orders) ÷ all orders placed (with or without the unpaid pending ones)
    cancelled = s.placed["status"].isin(CANCELLED).sum()
    return [cancelled / len(s.placed), cancelled / (len(s.orders) + cancelled)]


def e10(s: Shop):  # 实付金额 of cancelled and refunded lines; or only of the ones that had been paid
    c = s.lines[s.lines["status"].isin(CANCELLED)]
    return [c["amount"].sum(), c.loc[c["paid_at"] != "", "amount"].sum()]


def e11(s: Shop):  # customers whose first order (kept, or any) is in January 2026
    return _new_customers(s, date(2026, 1, 1), date(2026, 1, 31))


def e12(s: Shop):  # revenue of November 2025 (the month row of a 2025 monthly breakdown)
    return _between(s.kept, date(2025, 11, 1), date(2025, 11, 30))["amount"].sum()


def e13(s: Shop):  # the customer (买家会员名) with the most spend
    return _top(_spend(s))


def e14(s: Shop):  # customers whose total spend is above 2,000
    return int((_spend(s) > 2000).sum())


def e15(s: Shop):  # bought 普洱 (kept line), never 茶具 (no kept 茶具 line; or no 茶具 line at all)
    return _bought_not(s, "普洱", "茶具")


def e16(s: Shop):  # no order in the last 6 months
    return _lapsed(s)


def e17(s: Shop):  # February 2026 revenue vs January 2026: relative change
    feb = _between(s.kept, date(2026, 2, 1), date(2026, 2, 28))["amount"].sum()
    jan = _between(s.kept, date(2026, 1, 1), date(2026, 1, 31))["amount"].sum()
    return (feb - jan) / jan


def e18(s: Shop):  # AOV of orders placed at 金卡会员; or of all orders of customers whose latest level is 金卡会员
    o = s.orders
    out = [_aov(o[o["level"] == "金卡会员"])]
    for levels in (_latest_level(o), _latest_level(s.placed)):
        who = set(levels[levels == "金卡会员"].index)
        out.append(_aov(o[o["customer"].isin(who)]))
    return out


def e19(s: Shop):  # customers with a kept order; or every buyer in the file
    return [s.orders["customer"].nunique(), s.placed["customer"].nunique()]


def e20(s: Shop):  # revenue of 绿茶 in 2025
    k = _year(s.kept, 2025)
    return k.loc[k["category"] == "绿茶", "amount"].sum()


def z01(s: Shop):  # 去年 = 2025 revenue (with shipping added too)
    o = _year(s.orders, 2025)
    return [o["revenue"].sum(), o["revenue"].sum() + o["shipping"].sum()]


def z02(s: Shop):  # 客单价 2025: revenue ÷ orders, or (Taobao's own definition) revenue ÷ paying buyers
    o = _year(s.orders, 2025)
    return [_aov(o), o["revenue"].sum() / o["customer"].nunique()]


def z03(s: Shop):  # revenue of 乌龙茶 ("乌龙 茶" merged)
    return s.kept.loc[s.kept["category"] == "乌龙茶", "amount"].sum()


def z04(s: Shop):  # province with the most orders (kept, or every order placed)
    return [_top(s.orders.groupby("province")["order"].nunique()),
            _top(s.placed.groupby("province")["order"].nunique())]


def z05(s: Shop):  # 微信支付 share of revenue
    return s.kept.loc[s.kept["payment"] == "微信支付", "amount"].sum() / s.kept["amount"].sum()


def z06(s: Shop):
    return _best_sellers(s)


def z07(s: Shop):
    return _repeat(s)


def z08(s: Shop):  # 已退款 orders ÷ orders placed (or ÷ paid orders); or (已退款 + 交易关闭) ÷ orders placed
    refunded = (s.placed["status"] == REFUNDED).sum()
    cancelled = s.placed["status"].isin(CANCELLED).sum()
    return [refunded / len(s.placed), refunded / (len(s.orders) + cancelled), refunded / (len(s.orders) + refunded),
            cancelled / len(s.placed), cancelled / (len(s.orders) + cancelled)]


def z09(s: Shop):  # orders 交易关闭 or 已退款
    return int(s.placed["status"].isin(CANCELLED).sum())


def z10(s: Shop):  # new customers in February 2026
    return _new_customers(s, date(2026, 2, 1), date(2026, 2, 28))


def z11(s: Shop):  # revenue of the last 30 days: the 30 days ending on the as-of date (or 31 with both ends)
    end = s.as_of
    return [_between(s.kept, end - pd.Timedelta(days=n), end)["amount"].sum() for n in (29, 30)]


def z12(s: Shop):
    return _top(_spend(s))


def z13(s: Shop):  # customers with total spend above 5,000
    return int((_spend(s) > 5000).sum())


def z14(s: Shop):  # bought 茶具, never 普洱
    return _bought_not(s, "茶具", "普洱")


def z15(s: Shop):
    return _lapsed(s)


def z16(s: Shop):  # 2026-01-01..as-of vs the same dates of 2025: relative change
    end = s.as_of
    now = _between(s.kept, date(end.year, 1, 1), end)["amount"].sum()
    before = _between(s.kept, date(end.year - 1, 1, 1), end.replace(year=end.year - 1))["amount"].sum()
    return (now - before) / before


def z17(s: Shop):  # customers at 钻石会员: with a kept order at that level, or whose latest level it is
    o = s.orders
    latest_kept, latest_any = _latest_level(o), _latest_level(s.placed)
    return [o.loc[o["level"] == "钻石会员", "customer"].nunique(), int((latest_kept == "钻石会员").sum()),
            int((latest_any == "钻石会员").sum())]


def z18(s: Shop):  # revenue shipped to 江苏省
    return s.kept.loc[s.kept["province"] == "江苏省", "amount"].sum()


def z19(s: Shop):  # units ÷ orders (a blank quantity is 1; or left out of the units)
    return [s.orders["units"].sum() / len(s.orders), s.orders["units_known"].sum() / len(s.orders)]


def z20(s: Shop):  # 淘宝直播 share of revenue
    return s.kept.loc[s.kept["source"] == "淘宝直播", "amount"].sum() / s.kept["amount"].sum()


FUNCTIONS: dict[str, Callable[[Shop], Any]] = {
    name: fn for name, fn in globals().items() if re.fullmatch(r"[ez]\d\d", name) and callable(fn)
}

AMBIGUOUS = {
    "e01": "unpaid orders in or out; shipping (运费, once per order) added or not",
    "e02": "kept orders, or every order placed in 2025",
    "e03": "unpaid orders in or out; shipping added or not",
    "e07": "best seller by units (blank quantity 1 or 0), revenue or orders",
    "e08": "customers with 2+ orders ÷ customers with an order, ÷ every buyer, or placed orders ÷ every buyer",
    "e09": "denominator with or without the unpaid pending orders",
    "e10": "every cancelled line's 实付金额, or only the ones that had been paid",
    "e11": "a customer's first kept order, or first order of any status",
    "e16": "6 months as 180-185 days or six calendar months, unpaid orders in or out",
    "e18": "the level an order was placed at, or the customer's latest level (kept orders, or any)",
    "e19": "customers with a kept order, or every buyer in the file",
    "z01": "unpaid orders in or out; shipping added or not",
    "z02": "客单价 as revenue ÷ orders, or revenue ÷ paying buyers (Taobao's definition)",
    "z04": "kept orders, or every order placed",
    "z06": "best seller by units (blank quantity 1 or 0), revenue or orders",
    "z07": "as e08",
    "z08": "refunded ÷ orders placed or ÷ paid orders; or closed + refunded ÷ orders placed",
    "z10": "a customer's first kept order, or first order of any status",
    "z11": "30 days ending on the as-of date, or as-of − 30 days to as-of",
    "z15": "as e16",
    "z17": "customers with a kept order at the level, or whose latest level it is",
    "z19": "a blank quantity is 1, or left out",
}


def _flatten(value: Any) -> list:
    return [v for item in value for v in _flatten(item)] if isinstance(value, (list, tuple)) else [value]


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return value
    value = float(value)
    return int(value) if value.is_integer() else value


def expected_values(shops: list[Shop]) -> dict[str, Any]:
    """Each question's expected value: one value, or the list of every value of its open readings."""
    out: dict[str, Any] = {}
    for qid, fn in FUNCTIONS.items():
        values: list = []
        for shop in shops:
            for v in _flatten(fn(shop)):
                v = _clean(v)
                if not any(v == w if isinstance(v, str) or isinstance(w, str)
                           else math.isclose(float(v), float(w), rel_tol=1e-9) for w in values):
                    values.append(v)
        out[qid] = values[0] if len(values) == 1 else values
    return out


if __name__ == "__main__":
    import json
    import sys

    from tests.data.judge_cn.make_shop import write_shop

    path = write_shop(sys.argv[1] if len(sys.argv) > 1 else "/tmp/judge_cn")
    for k, v in expected_values(load_all(path)).items():
        print(k, json.dumps(v, ensure_ascii=False))
