"""The expected answers of tests/data/judge_jd/questions.jsonl, computed with pandas from the raw JD export alone.

The reading (what a careful analyst takes from this file, and where she could take two roads):
- the file is GBK, one row per order line, with a trailing comma (an empty nameless last column, dropped);
- an order is an 订单号; its own fields (status, times, buyer, address, payment, source, warehouse and the money
  订单金额 / 结算金额 / 余额支付 / 应付金额 / 运费金额) repeat on each of its lines and are taken ONCE per order;
- the status is 订单状态 with the "(删除)" prefix (the buyer deleted the order from her list) removed. Sales are the
  orders 完成, 等待确认收货 and 等待出库 (a cash-on-delivery order not delivered yet is a sale); 等待付款 (never paid)
  and 已取消 are not; 锁定 (a cancellation or after-sale request pending at the export) is read BOTH ways
  [reading: lock in / out];
- an order's revenue is what the buyer pays for it: 结算金额 (balance and online / on-delivery parts together;
  应付金额 alone leaves out the balance part), with or without its 运费金额 [reading: shipping in / out];
- an order is dated by 下单时间, or by 付款确认时间 where it has one [reading: date created / paid]; the as-of date is
  the last order day, 2026-06-30;
- a customer is a 下单帐号 (the buyer's JD login; name and phone are masked); customers are the pins with a sale;
- a product is a 商品名称 (one SKU); the file has no line paid amount, so a product's revenue is read two ways: 京东价 ×
  订购数量 (its list-price sales) or the order's goods paid (结算金额 − 运费金额) shared over its lines by 京东价 ×
  订购数量; units are 订购数量 (the ¥0 gift line "(赠品)" counted or not where it could matter);
- a province is the head of 客户地址 (JD writes "广东深圳市…", "北京朝阳区…", "内蒙古呼和浩特市…");
- cancelled orders are the 已取消 ones (with 锁定 as cancelled where 锁定 is read out); "refunded" ones are those
  paid (付款确认时间 written) and then cancelled; never-paid checkouts may be left out of a cancellation rate as not
  being orders;
- "last month" with the data ending on 30 June 2026 is June 2026 (the last full month) or May 2026 (the month before
  the as-of month); "this year" is 2026, "last year" 2025.
`load_all(csv)` gives one Shop per combination of the three bracketed readings; `expected_values(shops)` gives each
question's accepted value, or the list of them, over the readings and the question's own alternatives.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date

import pandas as pd

SALE = ("完成", "等待确认收货", "等待出库")
PROVINCES = ["北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
             "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾", "内蒙古",
             "广西", "西藏", "宁夏", "新疆", "香港", "澳门"]
KETTLE = "山隅 手冲咖啡壶 细口壶 304不锈钢 600ml"
FILTERS = "山隅 原木色咖啡滤纸 V型 100张"
V60 = "山隅 V60型陶瓷滤杯 1-4人份"
FREEZE_DRIED = "山隅咖啡 冷萃冻干咖啡粉 3g*24颗"
GRINDER = "山隅 电动磨豆机 家用小型 锥刀研磨"
GIFT_MARK = "(赠品)"

AMBIGUOUS = {
    "e01": "锁定 in/out; 结算金额 with/without 运费金额",
    "e02": "锁定 in/out",
    "e03": "锁定 in/out; shipping in/out",
    "e04": "锁定 in/out",
    "e05": "锁定 in/out; shipping in/out; dated by 下单时间 / 付款确认时间",
    "e06": "last month = June 2026 or May 2026; 锁定; shipping; date",
    "e07": "product revenue at 京东价 × 订购数量 or the order's paid goods shared; 锁定",
    "e08": "锁定 in/out",
    "e09": "已取消 (+ 锁定) over all orders, or over the orders that were paid or cash-on-delivery",
    "e10": "all cancelled, or only those paid or cash-on-delivery; 锁定; shipping",
    "e11": "锁定 in/out",
    "e12": "锁定; shipping",
    "e13": "锁定; shipping",
    "e14": "by revenue or by orders; 锁定; shipping (province written as in the file, or with 省)",
    "e15": "Q2 vs Q1 2026 revenue change; 锁定; shipping; date",
    "e16": "锁定 in/out",
    "e17": "余额支付 once per order over sales; 锁定",
    "e18": "运费金额 once per order over 2025 sales; 锁定; date",
    "e19": "first sale in 2026; 锁定; date",
    "e20": "锁定 in/out",
    "z01": "锁定; shipping",
    "z02": "锁定; date",
    "z03": "客单价 per order (AOV) or per customer (revenue ÷ customers, the 生意参谋 / 京东商智 sense); 锁定; shipping",
    "z04": "锁定; shipping; date",
    "z05": "锁定; shipping",
    "z06": "锁定 in/out",
    "z07": "已取消, or 已取消 + 锁定",
    "z08": "锁定 in/out",
    "z09": "锁定; date",
    "z10": "锁定 in/out",
    "z11": "gift line counted or not; 锁定",
    "z12": "京东价 × 订购数量 or the order's paid goods shared; 锁定",
    "z13": "sales from 嘉定自有仓, or only those shipped (完成 / 等待确认收货); 锁定",
    "z14": "锁定 in/out",
    "z15": "锁定; shipping",
    "z16": "锁定; shipping",
    "z17": "锁定",
    "z18": "June vs May 2026 or May vs April 2026; 锁定; shipping; date",
    "z19": "paid-then-cancelled (+ paid 锁定) over paid orders or over all orders",
    "z20": "锁定 in/out",
}


@dataclass
class Shop:
    """The raw export under one reading."""
    reading: str
    lock_in: bool
    date_by: str          # "created" | "paid"
    with_shipping: bool
    as_of: date
    orders: pd.DataFrame  # one row per 订单号, every status
    lines: pd.DataFrame   # one row per line, with its order's columns


def _province(address: str) -> str:
    for p in sorted(PROVINCES, key=len, reverse=True):
        if address.startswith(p):
            return p
    return ""


def read_raw(csv) -> pd.DataFrame:
    raw = pd.read_csv(csv, encoding="gbk", dtype=str, keep_default_na=False)
    return raw.loc[:, [c for c in raw.columns if not c.startswith("Unnamed")]]


def _base(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = raw.rename(columns={"订单号": "order", "商品名称": "product", "订购数量": "qty", "京东价": "price"})
    lines["qty"] = lines["qty"].astype(int)
    lines["price"] = lines["price"].astype(float)
    lines["gross"] = lines["price"] * lines["qty"]
    first = lines.groupby("order", sort=False).first()
    orders = pd.DataFrame({
        "order": first.index,
        "pin": first["下单帐号"].values,
        "status": first["订单状态"].str.replace("(删除)", "", regex=False).values,
        "created": pd.to_datetime(first["下单时间"]).values,
        "paid_at": pd.to_datetime(first["付款确认时间"].replace("", None)).values,
        "settle": first["结算金额"].astype(float).values,
        "shipping": first["运费金额"].astype(float).values,
        "balance": first["余额支付"].astype(float).values,
        "payment": first["支付方式"].values,
        "source": first["订单来源"].values,
        "warehouse": first["仓库名称"].values,
        "province": [_province(a) for a in first["客户地址"]],
    })
    orders["is_paid"] = orders["paid_at"].notna()
    orders["is_cod"] = orders["payment"] == "货到付款"
    goods = lines.groupby("order")["gross"].sum()
    lines = lines.merge(orders[["order", "settle", "shipping"]], on="order")
    lines["alloc"] = (lines["settle"] - lines["shipping"]) * lines["gross"] / lines["order"].map(goods)
    return orders, lines[["order", "product", "qty", "price", "gross", "alloc"]]


def load_all(csv) -> list[Shop]:
    """The raw file under each reading: 锁定 in/out × dated by creation/payment × shipping in/out."""
    orders0, lines0 = _base(read_raw(csv))
    shops = []
    for lock_in, date_by, with_shipping in itertools.product((False, True), ("created", "paid"), (True, False)):
        orders = orders0.copy()
        orders["sale"] = orders["status"].isin(SALE + (("锁定",) if lock_in else ()))
        orders["date"] = orders["created"] if date_by == "created" else orders["paid_at"].fillna(orders["created"])
        orders["revenue"] = orders["settle"] - (0.0 if with_shipping else orders["shipping"])
        lines = lines0.merge(orders[["order", "pin", "sale", "date"]], on="order")
        reading = f"lock {'in' if lock_in else 'out'}, dated {date_by}, shipping {'in' if with_shipping else 'out'}"
        shops.append(Shop(reading, lock_in, date_by, with_shipping, orders0["created"].max().date(), orders, lines))
    return shops


# --- helpers ------------------------------------------------------------------------------------------------
def _accept(values):
    """One value, or the sorted distinct values (numbers equal to 1e-9 merged; names kept in order)."""
    out = []
    for v in values:
        if isinstance(v, str):
            if v not in out:
                out.append(v)
        elif not any(isinstance(o, float) and abs(o - v) <= 1e-9 * max(1.0, abs(v)) for o in out):
            out.append(float(v))
    if not all(isinstance(v, str) for v in out):
        out = sorted(out)
    return out[0] if len(out) == 1 else out


def _sales(s: Shop, start=None, end=None) -> pd.DataFrame:
    o = s.orders[s.orders["sale"]]
    if start is not None:
        o = o[(o["date"] >= pd.Timestamp(start)) & (o["date"] < pd.Timestamp(end))]
    return o


def _sale_lines(s: Shop) -> pd.DataFrame:
    return s.lines[s.lines["sale"]]


def _revenue(s, start=None, end=None):
    return _sales(s, start, end)["revenue"].sum()


def _customers_who_bought(s: Shop, match) -> set:
    ln = _sale_lines(s)
    return set(ln.loc[ln["product"].map(match), "pin"])


def _each(shops, f):
    return _accept([f(s) for s in shops])


def _month(y, m):
    return date(y, m, 1), (date(y + (m == 12), m % 12 + 1, 1))


# --- English ------------------------------------------------------------------------------------------------
def e01(shops):  # total revenue
    return _each(shops, _revenue)


def e02(shops):  # orders
    return _each(shops, lambda s: float(len(_sales(s))))


def e03(shops):  # AOV
    return _each(shops, lambda s: _revenue(s) / len(_sales(s)))


def e04(shops):  # customers
    return _each(shops, lambda s: float(_sales(s)["pin"].nunique()))


def e05(shops):  # revenue 2025
    return _each(shops, lambda s: _revenue(s, date(2025, 1, 1), date(2026, 1, 1)))


def e06(shops):  # revenue last month: June 2026 (or May 2026)
    return _accept([_revenue(s, *_month(2026, m)) for s in shops for m in (6, 5)])


def _top_products(s: Shop, measure: str, with_gift: bool = True) -> str:
    ln = _sale_lines(s)
    if not with_gift:
        ln = ln[~ln["product"].str.contains(GIFT_MARK, regex=False)]
    return ln.groupby("product")[measure].sum().idxmax()


def e07(shops):  # top product by revenue
    return _accept([_top_products(s, m) for s in shops for m in ("gross", "alloc")])


def _units(s: Shop, product: str) -> float:
    ln = _sale_lines(s)
    return float(ln.loc[ln["product"] == product, "qty"].sum())


def e08(shops):  # V60 dripper units
    return _each(shops, lambda s: _units(s, V60))


def _cancellation_rates(s: Shop) -> list[float]:
    o = s.orders
    cancelled = o["status"] == "已取消"
    if not s.lock_in:
        cancelled_or_locked = cancelled | (o["status"] == "锁定")
    else:
        cancelled_or_locked = cancelled
    real = o["is_paid"] | o["is_cod"] | o["status"].isin(SALE + ("锁定",))  # an order someone paid or will pay
    out = []
    for c in (cancelled, cancelled_or_locked):
        out.append(c.sum() / len(o))
        out.append((c & real).sum() / real.sum())
    return out


def e09(shops):  # cancellation rate
    return _accept([r for s in shops for r in _cancellation_rates(s)])


def _lost(s: Shop) -> list[float]:
    o = s.orders
    amount = o["settle"] - (0.0 if s.with_shipping else o["shipping"])
    cancelled = (o["status"] == "已取消") | ((o["status"] == "锁定") & (not s.lock_in))
    real = o["is_paid"] | o["is_cod"]
    return [amount[cancelled].sum(), amount[cancelled & real].sum()]


def e10(shops):  # revenue lost to cancellations
    return _accept([v for s in shops for v in _lost(s)])


def _repeat_rate(s: Shop) -> float:
    n = _sales(s).groupby("pin").size()
    return (n >= 2).sum() / len(n)


def e11(shops):  # share of customers with 2+ orders
    return _each(shops, _repeat_rate)


def _spend(s: Shop) -> pd.Series:
    return _sales(s).groupby("pin")["revenue"].sum()


def e12(shops):  # the top customer's spend
    return _each(shops, lambda s: _spend(s).max())


def e13(shops):  # cash-on-delivery revenue
    return _each(shops, lambda s: _sales(s).loc[lambda o: o["payment"] == "货到付款", "revenue"].sum())


def _top_province(s: Shop, measure: str) -> str:
    o = _sales(s)
    g = o.groupby("province")["revenue"].sum() if measure == "revenue" else o.groupby("province").size()
    return g.idxmax()


def e14(shops):  # top province
    names = _accept([_top_province(s, m) for s in shops for m in ("revenue", "orders")])
    names = names if isinstance(names, list) else [names]
    return [n for p in names for n in (p, p + ("市" if p in ("北京", "上海", "天津", "重庆") else "省"))]


def _change(a: float, b: float) -> float:
    return (a - b) / b


def e15(shops):  # Q2 2026 vs Q1 2026
    return _each(shops, lambda s: _change(_revenue(s, date(2026, 4, 1), date(2026, 7, 1)),
                                          _revenue(s, date(2026, 1, 1), date(2026, 4, 1))))


def e16(shops):  # bought the kettle, never the filters
    return _each(shops, lambda s: float(len(_customers_who_bought(s, lambda p: p == KETTLE)
                                            - _customers_who_bought(s, lambda p: p == FILTERS))))


def e17(shops):  # paid from the JD balance
    return _each(shops, lambda s: _sales(s)["balance"].sum())


def e18(shops):  # shipping paid in 2025
    return _each(shops, lambda s: _sales(s, date(2025, 1, 1), date(2026, 1, 1))["shipping"].sum())


def _new_customers(s: Shop, year: int) -> float:
    first = _sales(s).groupby("pin")["date"].min()
    return float((first.dt.year == year).sum())


def e19(shops):  # new customers this year (2026)
    return _each(shops, lambda s: _new_customers(s, 2026))


def e20(shops):  # WeChat orders
    return _each(shops, lambda s: float((_sales(s)["source"] == "微信订单").sum()))


# --- Chinese ------------------------------------------------------------------------------------------------
def z01(shops):  # 一共卖了多少钱
    return e01(shops)


def z02(shops):  # 今年上半年 orders
    return _each(shops, lambda s: float(len(_sales(s, date(2026, 1, 1), date(2026, 7, 1)))))


def z03(shops):  # 客单价: per order or per customer
    return _accept([v for s in shops for v in (_revenue(s) / len(_sales(s)), _revenue(s) / _sales(s)["pin"].nunique())])


def z04(shops):  # Nov 2025 revenue
    return _each(shops, lambda s: _revenue(s, *_month(2025, 11)))


def z05(shops):  # 浙江 revenue
    return _each(shops, lambda s: _sales(s).loc[lambda o: o["province"] == "浙江", "revenue"].sum())


def z06(shops):  # cash-on-delivery orders
    return _each(shops, lambda s: float((_sales(s)["payment"] == "货到付款").sum()))


def z07(shops):  # cancelled orders (锁定 with them where it is read out of sales)
    return _accept([v for s in shops for v in
                    [float((s.orders["status"] == "已取消").sum())]
                    + ([] if s.lock_in else [float(s.orders["status"].isin(("已取消", "锁定")).sum())])])


def z08(shops):  # 复购率
    return e11(shops)


def z09(shops):  # buyers in 2025
    return _each(shops, lambda s: float(_sales(s, date(2025, 1, 1), date(2026, 1, 1))["pin"].nunique()))


def z10(shops):  # freeze-dried coffee units
    return _each(shops, lambda s: _units(s, FREEZE_DRIED))


def z11(shops):  # best seller by units
    return _accept([_top_products(s, "qty", g) for s in shops for g in (True, False)])


def z12(shops):  # electric grinder revenue
    return _accept([_sale_lines(s).loc[lambda ln: ln["product"] == GRINDER, m].sum() for s in shops
                    for m in ("gross", "alloc")])


def z13(shops):  # orders shipped from 嘉定自有仓
    return _accept([v for s in shops for v in (
        float((_sales(s)["warehouse"] == "嘉定自有仓").sum()),
        float((_sales(s).loc[lambda o: o["status"].isin(("完成", "等待确认收货")), "warehouse"] == "嘉定自有仓").sum()))])


def z14(shops):  # bought 挂耳, never 咖啡豆
    return _each(shops, lambda s: float(len(_customers_who_bought(s, lambda p: "挂耳" in p)
                                            - _customers_who_bought(s, lambda p: "咖啡豆" in p))))


def z15(shops):  # customers who spent more than 1,000
    return _each(shops, lambda s: float((_spend(s) > 1000).sum()))


def z16(shops):  # 移动端订单 revenue
    return _each(shops, lambda s: _sales(s).loc[lambda o: o["source"] == "移动端订单", "revenue"].sum())


def z17(shops):  # 运费 in all
    return _each(shops, lambda s: _sales(s)["shipping"].sum())


def z18(shops):  # last month's revenue change on the month before
    return _accept([_change(_revenue(s, *_month(2026, m)), _revenue(s, *_month(2026, m - 1)))
                    for s in shops for m in (6, 5)])


def _refund_rates(s: Shop) -> list[float]:
    o = s.orders
    refunded = (o["status"] == "已取消") & o["is_paid"]
    if not s.lock_in:
        refunded = refunded | ((o["status"] == "锁定") & o["is_paid"])
    return [refunded.sum() / o["is_paid"].sum(), refunded.sum() / len(o)]


def z19(shops):  # 退款率
    return _accept([r for s in shops for r in _refund_rates(s)])


def z20(shops):  # orders per customer
    return _each(shops, lambda s: len(_sales(s)) / _sales(s)["pin"].nunique())


FUNCTIONS = {f.__name__: f for f in (
    e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12, e13, e14, e15, e16, e17, e18, e19, e20,
    z01, z02, z03, z04, z05, z06, z07, z08, z09, z10, z11, z12, z13, z14, z15, z16, z17, z18, z19, z20)}


def expected_values(shops: list[Shop]) -> dict:
    return {qid: f(shops) for qid, f in FUNCTIONS.items()}
