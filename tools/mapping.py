"""Map a file's columns to the contract's fields: by name (English, Chinese), by values, or by hand."""

from __future__ import annotations

import difflib
import re
from typing import Literal

import duckdb

from tools.contract import (
    CUSTOMER_FIELDS, CUSTOMER_REQUIRED, TRANSACTION_FIELDS, TRANSACTION_REQUIRED,
)
from tools.errors import TierwiseError

# Column names that mean a field; compared after lower-casing and dropping spaces and _-./()#.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id", "customer id", "customerid", "cust_id", "custid", "customer", "customer no",
        "customer number", "client_id", "client", "clientid", "user_id", "userid", "user",
        "member_id", "memberid", "member", "buyer_id", "buyer", "shopper_id", "account_id",
        "kunde", "kundennummer", "kunden_id", "id_client", "client_id", "客户id", "客户编号", "客户", "会员id", "会员编号", "会员", "用户id", "用户编号", "用户",
        "顾客id", "顾客编号", "买家id", "客户号", "会员号", "买家会员名", "买家昵称", "买家账号",
    ),
    "order_date": (
        "order_date", "order date", "purchase date", "purchase_date", "date", "invoicedate",
        "invoice date", "transaction date", "transaction_date", "txn_date", "order_time",
        "order time", "created_at", "order_datetime", "purchase_time", "timestamp", "datetime",
        "sale_date", "sales_date", "orderdate", "day",
        "datum", "bestelldatum", "date_commande", "下单时间", "订单日期", "日期", "下单日期", "交易日期", "交易时间", "购买日期", "购买时间",
        "订单时间", "支付时间", "付款时间", "创建时间", "时间",
    ),
    "amount": (
        "amount", "total price", "total_price", "totalprice", "total", "dollar_value",
        "dollar value", "revenue", "sales", "sale_amount", "order_amount", "order_value",
        "order total", "order_total", "value", "price", "net_amount", "gross_amount", "spend",
        "payment", "paid", "paid_amount", "amount_paid", "monetary", "monetary_value",
        "line_total", "subtotal", "grand_total", "invoice_amount", "total_amount",
        "betrag", "umsatz", "montant", "importe", "金额", "实付金额", "销售额", "订单金额", "支付金额", "付款金额", "实付", "总价", "总金额",
        "消费金额", "交易金额", "成交金额", "应付金额", "价格", "售价",
    ),
    "order_id": (
        "order_id", "order id", "orderid", "order no", "order number", "order_number",
        "invoice", "invoiceno", "invoice_no", "invoice number", "invoice_id", "transaction_id",
        "transactionid", "txn_id", "receipt", "receipt_id",
        "订单号", "订单编号", "订单id", "交易号", "交易编号", "流水号", "单号",
    ),
    "product": (
        "product", "product name", "product_name", "productname", "item", "item name",
        "item_name", "sku", "stockcode", "stock code", "product_id", "productid", "item_id",
        "description", "goods", "title",
        "商品", "商品名称", "商品名", "产品", "产品名称", "商品编号", "商品id", "货品", "品名", "sku编码",
        "宝贝标题", "宝贝名称", "商品标题",
    ),
    "category": (
        "category", "product category", "product_category", "category_name", "categoryname",
        "department", "dept", "product type", "product_type", "segment",
        "品类", "类别", "类目", "商品类别", "商品分类", "分类", "产品类别", "商品类目", "宝贝类目",
    ),
    "quantity": (
        "quantity", "qty", "units", "number_of_cds", "number of items", "num_items",
        "item_count", "items", "count", "pieces", "volume",
        "menge", "anzahl", "quantité", "quantite", "cantidad", "数量", "购买数量", "件数", "商品数量", "销量",
    ),
    "channel": (
        "channel", "sales channel", "sales_channel", "source", "platform", "store_type",
        "order_channel", "medium",
        "渠道", "销售渠道", "来源", "平台", "下单渠道",
    ),
    "status": (
        "status", "order status", "order_status", "state", "order_state", "payment_status",
        "状态", "订单状态", "交易状态", "支付状态",
    ),
    # Customer file fields.
    "name": ("name", "customer name", "customer_name", "full name", "fullname", "full_name",
             "姓名", "客户名称", "客户姓名", "名字", "会员名称", "用户名"),
    "email": ("email", "e-mail", "email address", "email_address", "mail", "邮箱", "电子邮件", "邮件"),
    "country": ("country", "country name", "nation", "国家", "国家/地区", "地区"),
    "city": ("city", "town", "城市", "所在城市"),
    "signup_date": ("signup_date", "signup date", "sign up date", "registration date",
                    "registered_at", "created_at", "join_date", "joined", "first_seen",
                    "注册日期", "注册时间", "入会时间", "开户日期"),
    "gender": ("gender", "sex", "性别"),
    "age": ("age", "年龄"),
    "email_consent": ("email_consent", "email consent", "consent", "opt_in", "optin",
                      "marketing_consent", "subscribed", "newsletter", "accepts_marketing",
                      "营销同意", "同意营销", "订阅", "是否订阅"),
}

_ALL_NAMES = {re.sub(r"[\s_\-./()#]", "", n.lower()) for names in SYNONYMS.values() for n in names}


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-./()#:：（）]", "", str(name).strip().lower())


def is_known_name(text: str) -> bool:
    """True when `text` is a column name Tierwise recognises for any field."""
    return normalise(text) in _ALL_NAMES and bool(normalise(text))


def fields_for(kind: Literal["transactions", "customers"]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind == "customers":
        return CUSTOMER_FIELDS, CUSTOMER_REQUIRED
    return TRANSACTION_FIELDS, TRANSACTION_REQUIRED


def parse_map_args(items: list[str],
                   kind: Literal["transactions", "customers"] = "transactions") -> dict[str, str]:
    """Turn `--map field=column` items into a {field: column} dict, checking each field name."""
    valid, _ = fields_for(kind)
    out: dict[str, str] = {}
    for item in items or []:
        if not isinstance(item, str) or "=" not in item:
            raise TierwiseError(
                f"Could not read --map item '{item}': write it as field=column, "
                f"e.g. customer_id=1 or amount=\"Total Price\"."
            )
        fld, col = (part.strip() for part in item.split("=", 1))
        if not fld or not col:
            raise TierwiseError(
                f"Could not read --map item '{item}': both the field and the column are needed, "
                f"e.g. customer_id=1 or amount=\"Total Price\"."
            )
        fld = fld.lower()
        if fld not in valid:
            raise TierwiseError(_unknown_field(fld, valid))
        if fld in out and out[fld] != col:
            raise TierwiseError(f"Field '{fld}' is mapped twice in --map ('{out[fld]}' and '{col}').")
        out[fld] = col.strip('"\'')
    return out


def _unknown_field(fld: str, valid: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(fld, valid, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return f"Unknown field '{fld}' in --map. Valid fields: {', '.join(valid)}.{hint}"


def resolve_column(spec: str, names: list[str], header: bool) -> int:
    """0-based index of the column named (case-insensitively) or numbered (1-based) by `spec`."""
    spec = str(spec).strip()
    lowered = [n.lower() for n in names]
    if spec.lower() in lowered:
        return lowered.index(spec.lower())
    norm = [normalise(n) for n in names]
    if normalise(spec) and norm.count(normalise(spec)) == 1:
        return norm.index(normalise(spec))
    m = re.fullmatch(r"(?:column\s*|col\s*|#)?(\d+)", spec, flags=re.I)
    if m and 1 <= int(m.group(1)) <= len(names):
        return int(m.group(1)) - 1
    seen = ", ".join(f"{i}: {n}" for i, n in enumerate(names, start=1))
    if m:
        raise TierwiseError(
            f"Column {m.group(1)} given in --map does not exist: the file has {len(names)} "
            f"columns ({seen})."
        )
    raise TierwiseError(
        f"Column '{spec}' given in --map is not in the file. Columns seen: {seen}."
    )


def map_by_name(names: list[str], fields: tuple[str, ...], taken: set[int]) -> dict[str, int]:
    """Fields recognised from column names: exact synonyms first, then names containing one."""
    out: dict[str, int] = {}
    norm = [normalise(n) for n in names]
    for fld in fields:
        syns = [normalise(s) for s in SYNONYMS.get(fld, ())]
        for i, n in enumerate(norm):
            if i not in taken and n in syns:
                out[fld] = i
                taken.add(i)
                break
    for fld in fields:
        if fld in out:
            continue
        # Longer synonyms are more specific; short ones like "id" or "day" could match anything.
        syns = sorted((normalise(s) for s in SYNONYMS.get(fld, ()) if len(normalise(s)) >= 4),
                      key=len, reverse=True)
        for s in syns:
            hit = next((i for i, n in enumerate(norm) if i not in taken and s in n), None)
            if hit is not None:
                out[fld] = hit
                taken.add(hit)
                break
    return out


def column_profiles(con: duckdb.DuckDBPyConnection, table: str, ncols: int,
                    sample: int = 2000) -> list[dict]:
    """Per column, on the first rows: shares that look like dates, numbers, decimals, ids."""
    from tools.cleaning import DATE_FORMATS_ANY

    parts = []
    for i in range(1, ncols + 1):
        c = f"nullif(trim(c{i}), '')"
        parts.append(f"""
          count({c}) AS n{i},
          count(try_strptime({c}, $fmts)) AS date{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '[-+(]?[$€£¥]?\\s*\\d[\\d,]*(\\.\\d+)?\\)?')) AS num{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '[-+]?[$€£¥]?\\d[\\d,]*[.,]\\d{{1,2}}')) AS dec{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '0\\d+')) AS lead0_{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '\\d{{1,4}}')) AS small{i},
          count(DISTINCT {c}) AS distinct{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '[A-Za-z]*[-_]?\\d+|[A-Za-z0-9_-]{{3,24}}')) AS idlike{i}""")
    row = con.execute(
        f"SELECT {','.join(parts)} FROM (SELECT * FROM {table} LIMIT {int(sample)})",
        {"fmts": list(DATE_FORMATS_ANY)},
    ).fetchall()[0]
    keys = ("n", "date", "num", "dec", "lead0", "small", "distinct", "idlike")
    profiles = []
    for i in range(ncols):
        vals = dict(zip(keys, row[i * len(keys):(i + 1) * len(keys)]))
        n = vals["n"] or 1
        profiles.append({k: (v / n if k != "n" else v) for k, v in vals.items()})
    return profiles


def map_by_values(profiles: list[dict], fields: tuple[str, ...], have: dict[str, int],
                  taken: set[int]) -> dict[str, int]:
    """Guess the required fields still missing from what the values look like."""
    out: dict[str, int] = {}
    free = [i for i in range(len(profiles)) if i not in taken and profiles[i]["n"] > 0]

    def pick(fld: str, ok, score) -> None:
        if fld in have or fld not in fields:
            return
        cands = [i for i in free if i not in taken and ok(profiles[i])]
        if cands:
            best = max(cands, key=lambda i: (score(profiles[i]), -i))
            out[fld] = best
            taken.add(best)

    pick("order_date", lambda p: p["date"] >= 0.9, lambda p: p["date"])
    pick("amount", lambda p: p["num"] >= 0.9 and p["dec"] >= 0.3 and p["lead0"] < 0.1,
         lambda p: p["dec"])
    # Ids repeat (several orders per customer) and are tokens, not money.
    pick("customer_id", lambda p: p["idlike"] >= 0.9 and p["dec"] < 0.1 and p["distinct"] < 1.0,
         lambda p: (p["lead0"] > 0.5, p["distinct"] > 0.02))
    pick("quantity", lambda p: p["small"] >= 0.95 and p["lead0"] < 0.05 and p["dec"] == 0,
         lambda p: -p["distinct"])
    return out


def build_mapping(con: duckdb.DuckDBPyConnection, table: str, names: list[str], header: bool,
                  user: dict[str, str] | None, kind: Literal["transactions", "customers"],
                  file_name: str) -> tuple[dict[str, int], list[str]]:
    """Resolve {field: 0-based column} from user overrides, names, then values; plus warnings."""
    fields, required = fields_for(kind)
    warnings: list[str] = []
    mapping: dict[str, int] = {}
    taken: set[int] = set()
    for fld, spec in (user or {}).items():
        if fld not in fields:
            raise TierwiseError(_unknown_field(fld, fields))
        idx = resolve_column(spec, names, header)
        if idx in taken:
            other = next(f for f, i in mapping.items() if i == idx)
            raise TierwiseError(
                f"Column '{names[idx]}' is mapped to both '{other}' and '{fld}'; map it once."
            )
        mapping[fld] = idx
        taken.add(idx)
    if header:
        mapping.update(map_by_name(names, tuple(f for f in fields if f not in mapping), taken))
    missing = [f for f in required if f not in mapping]
    if missing or not header:
        profiles = column_profiles(con, table, len(names))
        guessed = map_by_values(profiles, fields if not header else tuple(missing), mapping, taken)
        for fld, idx in guessed.items():
            mapping[fld] = idx
            if header:
                warnings.append(
                    f"Guessed that column '{names[idx]}' holds {fld} from its values; "
                    f"if wrong, pass --map {fld}=<column>."
                )
    missing = [f for f in required if f not in mapping]
    if missing:
        raise TierwiseError(_missing_message(file_name, missing, names, header, kind))
    return mapping, warnings


def _missing_message(file_name: str, missing: list[str], names: list[str], header: bool,
                     kind: str) -> str:
    seen = ", ".join(f"{i}: {n}" for i, n in enumerate(names, start=1))
    lines = [f"Could not find the required column{'s' if len(missing) > 1 else ''} "
             f"{', '.join(missing)} in {kind} file '{file_name}'. Columns seen: {seen}."]
    for fld in missing:
        if header:
            scored = sorted(
                ((max(difflib.SequenceMatcher(None, normalise(n), normalise(s)).ratio()
                      for s in SYNONYMS[fld]), n) for n in names),
                reverse=True,
            )
            close = [f"'{n}'" for r, n in scored[:3] if r >= 0.4]
            hint = (f"closest candidates: {', '.join(close)}" if close
                    else "no column name is close")
        else:
            hint = "the file has no header, so map it by position"
        lines.append(f"For {fld}, {hint}; pass --map {fld}=<column name or number>.")
    return " ".join(lines)
