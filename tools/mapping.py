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
        "订单时间", "创建时间", "支付时间", "付款时间", "时间",
    ),
    "amount": (
        "amount", "total price", "total_price", "totalprice", "total", "dollar_value",
        "dollar value", "revenue", "sales", "sale_amount", "order_amount", "order_value",
        "order total", "order_total", "value", "net_amount", "gross_amount", "spend",
        "payment", "paid", "paid_amount", "amount_paid", "monetary", "monetary_value",
        "line_total", "subtotal", "grand_total", "invoice_amount", "total_amount",
        "betrag", "umsatz", "montant", "importe", "金额", "实付金额", "销售额", "订单金额", "支付金额", "付款金额", "实付", "总价", "总金额",
        "消费金额", "交易金额", "成交金额", "应付金额",
    ),
    # A price per unit (UnitPrice, Lineitem price, 单价): the amount when multiplied by the quantity.
    "unit_price": (
        "unit_price", "unit price", "unitprice", "price", "item price", "item_price", "lineitem price",
        "line item price", "sale price", "selling price", "price each", "price per unit", "unit cost",
        "einzelpreis", "stückpreis", "preis", "prix unitaire", "prix", "precio unitario", "precio",
        "prezzo unitario", "prezzo", "单价", "商品单价", "成交单价", "销售单价", "价格", "售价",
    ),
    "order_id": (
        "order_id", "order id", "orderid", "order no", "order number", "order_number",
        "invoice", "invoiceno", "invoice_no", "invoice number", "invoice_id", "transaction_id",
        "transactionid", "txn_id", "receipt", "receipt_id", "bestellnummer", "bestellnr",
        "auftragsnummer", "auftragsnr", "numero_commande",
        "订单号", "订单编号", "订单id", "交易号", "交易编号", "流水号", "单号",
    ),
    "product": (
        "product", "product name", "product_name", "productname", "item", "item name",
        "item_name", "sku", "stockcode", "stock code", "product_id", "productid", "item_id",
        "description", "goods", "title", "sku name", "item title", "product title", "article",
        "article name", "artikel", "artikelname", "artikelbezeichnung", "produkt", "produktname",
        "produktbezeichnung",
        "商品", "商品名称", "商品名", "产品", "产品名称", "商品编号", "商品id", "货品", "品名", "sku编码",
        "宝贝标题", "宝贝名称", "商品标题",
    ),
    "category": (
        "category", "product category", "product_category", "category_name", "categoryname",
        "department", "dept", "product type", "product_type", "segment", "kategorie",
        "warengruppe", "produktkategorie", "catégorie", "categoria",
        "品类", "类别", "类目", "商品类别", "商品分类", "分类", "产品类别", "商品类目", "宝贝类目",
    ),
    "quantity": (
        "quantity", "qty", "units", "number_of_cds", "number of items", "num_items",
        "item_count", "items", "count", "pieces", "volume",
        "menge", "anzahl", "quantité", "quantite", "cantidad", "数量", "购买数量", "件数", "商品数量", "销量",
    ),
    "channel": (
        "channel", "sales channel", "sales_channel", "platform", "store_type",
        "order_channel", "order source", "order_source", "sales source", "source", "kanal",
        "vertriebskanal", "verkaufskanal", "canal",
        "渠道", "销售渠道", "平台", "下单渠道", "订单来源", "下单来源", "销售平台", "来源",
    ),
    "status": (
        "status", "order status", "order_status", "state", "order_state", "payment_status",
        "状态", "订单状态", "交易状态", "支付状态",
    ),
    # Customer file fields.
    "name": ("name", "customer name", "customer_name", "full name", "fullname", "full_name",
             "姓名", "客户名称", "客户姓名", "名字", "会员名称", "用户名"),
    # Also a transactions file's field: there it identifies guest checkouts and stays the customer's email.
    # "Billing Email", "Buyer Email" are found by their words (map_by_name's second pass).
    "email": ("email", "e-mail", "email address", "email_address", "mail", "邮箱", "电子邮件", "邮件"),
    "country": ("country", "country name", "nation", "国家", "国家/地区", "地区"),
    "city": ("city", "town", "城市", "所在城市"),
    "signup_date": ("signup_date", "signup date", "sign up date", "registration date",
                    "registered_at", "created_at", "join_date", "joined", "first_seen",
                    "注册日期", "注册时间", "入会时间", "开户日期"),
    "gender": ("gender", "sex", "geschlecht", "性别"),
    "age": ("age", "年龄"),
    "email_consent": ("email_consent", "email consent", "consent", "opt_in", "optin",
                      "marketing_consent", "subscribed", "newsletter", "accepts_marketing",
                      "营销同意", "同意营销", "订阅", "是否订阅"),
}

_ALL_NAMES = {re.sub(r"[\s_\-./()#]", "", n.lower()) for names in SYNONYMS.values() for n in names}

# A header with one of these words names how a customer was won (a referral, an ad campaign, a
# signup source), not the channel an order was placed through: never the contract's channel by
# name. "Order Source" / 订单来源 are an order's own source, so "source" alone does not veto a
# header that also says order or sales.
ACQUISITION_WORDS = frozenset({
    "source", "sources", "referral", "referrals", "referrer", "referer", "referred", "ref", "utm",
    "campaign", "campaigns", "acquisition", "acquired", "acquire", "medium", "affiliate",
    "marketing", "traffic", "signup", "registration", "registered", "lead", "leads", "first",
    "initial", "origin", "attribution",
})
ACQUISITION_FRAGMENTS = ("推荐", "引荐", "获客", "拉新", "来源", "注册", "推广", "营销", "广告", "活动",
                         "引流", "首单", "首次")
ORDER_WORDS = frozenset({"order", "orders", "sales", "sale", "purchase", "checkout", "transaction"})
ORDER_FRAGMENTS = ("订单", "下单", "销售", "成交", "交易")
SOURCE_ONLY = frozenset({"source", "sources", "origin"})

# Product headers: an object noun (product, item, article, SKU …) followed by a name noun names the
# product (SKU Name, Item Title, Produktname, 商品名称); followed by a code noun it is the product's
# code (SKU Code, Item No, Artikelnummer, 商品编号), used only when no name column exists.
PRODUCT_OBJECTS = ("product", "products", "produkt", "produkte", "produit", "producto", "prodotto",
                   "item", "article", "artikel", "articulo", "artículo", "articolo", "sku", "goods",
                   "merchandise", "商品", "产品", "货品", "宝贝", "物品", "品")
PRODUCT_NAME_NOUNS = ("name", "names", "title", "titel", "description", "desc", "descr", "label",
                      "bezeichnung", "beschreibung", "nom", "nombre", "nome", "libelle", "libellé",
                      "designation", "désignation", "名称", "名", "标题", "描述", "名字")
PRODUCT_CODE_NOUNS = ("code", "id", "no", "nr", "number", "num", "nummer", "ref", "reference",
                      "sku", "key", "编号", "编码", "代码", "号", "码", "id号")
# Codes on their own: a product code column even without an object noun before it.
PRODUCT_CODES_ALONE = ("sku", "skus", "stockcode", "stock code", "sku编码", "货号", "商品编码")
PRODUCT_NAME, PRODUCT_BARE, PRODUCT_CODE = 0, 1, 2


def header_words(label: str) -> list[str]:
    """The header's words: camelCase and script changes (会员ID) split, lower-cased."""
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", str(label))
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", s)
    s = re.sub(r"(?<=[^\x00-\x7f])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])(?=[^\x00-\x7f])", " ", s)
    return [w for w in re.split(r"[\W_]+", s.lower()) if w]


def is_acquisition_name(label: str) -> bool:
    """True when the header names how a customer was acquired (Referral Source, UTM Medium,
    Signup Channel, 推荐来源 …) rather than the channel of an order."""
    words = set(header_words(label))
    text = str(label)
    ordered = bool(words & ORDER_WORDS) or any(f in text for f in ORDER_FRAGMENTS)
    hits = words & ACQUISITION_WORDS
    # "Source" alone is an order's source (web, pos, app: Shopify's sales channel); "Referral Source",
    # "UTM Source", "Traffic Source" name how a customer came. A source that is the same on every order of a
    # customer is still dropped as the channel by its values (_drop_customer_channel).
    if hits and not ((ordered or words == hits) and hits <= SOURCE_ONLY):
        return True
    frags = [f for f in ACQUISITION_FRAGMENTS if f in text]
    return bool(frags) and not ((ordered or text.strip() == "来源") and frags == ["来源"])


def _is_object(word: str) -> bool:
    """An object noun, alone or closing a compound (Lineitem, Orderitem, Warenartikel)."""
    return word in PRODUCT_OBJECTS or any(
        word.endswith(o) for o in ("item", "product", "produkt", "article", "artikel"))


def _object_then(words: list[str], nouns: tuple[str, ...]) -> bool:
    """Whether an object noun is followed by one of `nouns`, as two words or one compound."""
    for i, w in enumerate(words):
        if _is_object(w) and i + 1 < len(words) and words[i + 1] in nouns:
            return True
        if any(w == o + n for o in PRODUCT_OBJECTS for n in nouns):
            return True
    return False


def product_rank(label: str) -> int | None:
    """How surely a header names the product: PRODUCT_NAME (SKU Name, Item Title, Artikel-
    bezeichnung, 商品名称), PRODUCT_BARE (Product, Article, Artikel, 商品, Description),
    PRODUCT_CODE (SKU, SKU Code, Item No, StockCode, 商品编号); None when it is not a product."""
    words = header_words(label)
    norm = normalise(label)
    if not words:
        return None
    if _object_then(words, PRODUCT_NAME_NOUNS):
        return PRODUCT_NAME
    if norm in {normalise(c) for c in PRODUCT_CODES_ALONE} or _object_then(words, PRODUCT_CODE_NOUNS):
        return PRODUCT_CODE
    if len(words) == 1 and words[0] in PRODUCT_OBJECTS:
        return PRODUCT_BARE
    if norm in _PRODUCT_SYNONYMS:
        # The other names the contract knows for a product (description, goods, title, 品名 …).
        return PRODUCT_CODE if any(c in norm for c in ("id", "code", "编号", "编码")) else PRODUCT_BARE
    return None


def normalise(name: str) -> str:
    return re.sub(r"[\s_\-./()#:：（）]", "", str(name).strip().lower())


_PRODUCT_SYNONYMS = frozenset(normalise(n) for n in SYNONYMS["product"])
_KEY_SYNONYMS = {f: frozenset(normalise(n) for n in SYNONYMS[f]) for f in ("customer_id", "order_id")}


def is_known_name(text: str) -> bool:
    """True when `text` is a column name Tierwise recognises for any field."""
    return normalise(text) in _ALL_NAMES and bool(normalise(text))


def fields_for(kind: Literal["transactions", "customers"]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if kind == "customers":
        return CUSTOMER_FIELDS, CUSTOMER_REQUIRED
    return TRANSACTION_FIELDS, TRANSACTION_REQUIRED


def parse_map_args(items: list[str],
                   kind: Literal["transactions", "customers"] = "transactions") -> dict[str, str | None]:
    """Turn `--map field=column` items into a {field: column} dict, checking each field name; `field=` (no
    column) says the file has no column for an optional field, so none is detected for it."""
    valid, _ = fields_for(kind)
    out: dict[str, str | None] = {}
    for item in items or []:
        if not isinstance(item, str) or "=" not in item:
            raise TierwiseError(
                f"Could not read --map item '{item}': write it as field=column, "
                f"e.g. customer_id=1 or amount=\"Total Price\"."
            )
        fld, col = (part.strip() for part in item.split("=", 1))
        if not fld:
            raise TierwiseError(
                f"Could not read --map item '{item}': the field is needed, "
                f"e.g. customer_id=1 or amount=\"Total Price\"."
            )
        fld = fld.lower()
        if fld not in valid:
            raise TierwiseError(_unknown_field(fld, valid))
        column = col.strip('"\'') or None
        if fld in out and out[fld] != column:
            raise TierwiseError(f"Field '{fld}' is mapped twice in --map ('{out[fld] or ''}' and '{col}').")
        out[fld] = column
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


# Words that make a header name something other than money, whatever money word it holds ("Payment State",
# "Payment Method", "Paid At", "Total Items").
NOT_MONEY_WORDS = frozenset({"status", "state", "method", "type", "mode", "gateway", "provider", "id", "date",
                             "time", "at", "on", "code", "reference", "ref", "items", "count", "quantity", "qty",
                             "number", "no", "currency", "shipped", "weight"})


# Money that is not the sale ("Discount Amount", "Order Sales Tax", "Shipping Total", "Fee Amount"): never the amount.
NOT_SALE_WORDS = frozenset({"discount", "discounts", "coupon", "tax", "taxes", "vat", "gst", "hst", "shipping",
                            "postage", "delivery", "fee", "fees", "commission", "tip", "tips", "refund", "refunded",
                            "deposit", "balance", "handling",
                            # how an order was paid for, not what it sold: 'Gift Certificate Amount Redeemed', 'Store
                            # Credit', 'Voucher Amount', 'Points Redeemed'
                            "gift", "certificate", "voucher", "vouchers", "redeemed", "redemption", "credit", "points",
                            "wallet"})

# A "state" that is a place ("Ship State", "Billing State"), not an order's status.
PLACE_WORDS = frozenset({"ship", "shipping", "billing", "bill", "delivery", "address", "province", "region"})


# Words that make a header name something about a customer or order other than its key ("Customer Note",
# "Customer Since", "Order Status", "Customer Email").
NOT_KEY_WORDS = frozenset({"note", "notes", "comment", "comments", "message", "remark", "remarks", "name", "type",
                           "group", "segment", "since", "date", "time", "status", "state", "city", "country",
                           "email", "mail", "phone", "address", "age", "gender", "count", "total", "spend", "value",
                           "amount", "level", "tier", "source", "channel"})


def _holds(label: str, synonym_norm: str) -> bool:
    """Whether a header holds a synonym as whole words: 'Customer User ID' holds 'userid' and 'customer'; 'Customer
    Note' holds 'customer' but not 'customer no'. Chinese synonyms (no word breaks) are looked for as text."""
    if not synonym_norm.isascii():
        return synonym_norm in normalise(label)
    words = header_words(label)
    for start in range(len(words)):
        run = ""
        for w in words[start:]:
            run += w
            if run == synonym_norm:
                return True
            if len(run) >= len(synonym_norm):
                break
    return False


# Words that make the money word after them a qualifier of a sale amount, not the amount itself: 'Order Total (inc
# tax)', 'Subtotal (ex tax)', 'Total excl. VAT', 'Total before discount' are sales; 'Tax Total' is tax
QUALIFIERS = frozenset({"inc", "incl", "including", "inclusive", "ex", "exc", "excl", "excluding", "exclusive",
                        "without", "with", "before", "after", "less", "net", "plus", "pre", "minus", "of"})


def _unqualified(words: list[str]) -> list[str]:
    """A header's words without the money words that only qualify it ('inc tax', 'before discount')."""
    return [w for i, w in enumerate(words) if not (i and words[i - 1] in QUALIFIERS and w in NOT_SALE_WORDS)]


def _vetoed(fld: str, label: str) -> bool:
    """Headers a field never takes by name, whatever synonym they contain."""
    words = set(header_words(label))
    if fld == "amount":
        return bool(set(_unqualified(header_words(label))) & (NOT_MONEY_WORDS | NOT_SALE_WORDS))
    if fld == "status":
        return "status" not in words and bool(words & PLACE_WORDS)
    if fld in ("customer_id", "order_id") and normalise(label) not in _KEY_SYNONYMS[fld]:
        return bool(set(header_words(label)) & NOT_KEY_WORDS)
    return fld == "channel" and is_acquisition_name(label)


# Fields whose synonyms are listed most direct first: of two exact headers, the more direct one is the field
KEY_FIELDS_BY_NAME = ("customer_id", "order_id", "order_date")


# Short synonyms specific enough as a whole word of a header ('Product Qty', 'Item Qty')
WHOLE_WORD_SHORT = frozenset({"qty"})


def map_by_name(names: list[str], fields: tuple[str, ...], taken: set[int]) -> dict[str, int]:
    """Fields recognised from column names: exact synonyms first, then the product by how surely
    its header names one (a name before a bare 'Product' before a code), then names containing a
    synonym."""
    out: dict[str, int] = {}
    norm = [normalise(n) for n in names]
    for fld in fields:
        if fld == "product":
            continue
        syns = [normalise(s) for s in SYNONYMS.get(fld, ())]
        # the header naming the field most directly wins ("Order ID" before "Transaction ID"), then the file's order
        exact = [(syns.index(n) if fld in KEY_FIELDS_BY_NAME else 0, i) for i, n in enumerate(norm)
                 if i not in taken and n in syns and not _vetoed(fld, names[i])]
        if exact:
            out[fld] = min(exact)[1]
            taken.add(out[fld])
    if "product" in fields:
        ranked = [(r, i) for i in range(len(names)) if i not in taken
                  and (r := product_rank(names[i])) is not None]
        if ranked:
            out["product"] = min(ranked)[1]
            taken.add(out["product"])
    for fld in fields:
        if fld in out or fld == "product":
            continue
        # Longer synonyms are more specific; short ones like "id" or "day" could match anything.
        syns = sorted((normalise(s) for s in SYNONYMS.get(fld, ()) if len(normalise(s)) >= 4 or s in WHOLE_WORD_SHORT),
                      key=len, reverse=True)
        for s in syns:
            hit = next((i for i, n in enumerate(norm) if i not in taken and _holds(names[i], s)
                        and not _vetoed(fld, names[i])), None)
            if hit is not None:
                out[fld] = hit
                taken.add(hit)
                break
    return out


def column_profiles(con: duckdb.DuckDBPyConnection, table: str, ncols: int,
                    sample: int = 2000) -> list[dict]:
    """Per column, on the first rows: shares that look like dates, numbers, decimals, ids."""
    from tools.cleaning import DATE_FORMATS_ANY, EMAIL_VALUE, _number_core

    # Numbers are judged on their core (no currency sign or code, no spaces): '1.234,50 €',
    # 'EUR 84,80' and "CHF 1'234.50" are numbers with decimals; '2024.03.05' is not.
    whole = "[-+(]?(\\d+|\\d{1,3}([.,]\\d{3})+)"
    parts = []
    for i in range(1, ncols + 1):
        c = f"nullif(trim(c{i}), '')"
        core = _number_core(c)
        parts.append(f"""
          count({c}) AS n{i},
          count(coalesce(try_strptime({c}, $fmts), try_cast({c} AS TIMESTAMP))) AS date{i},
          count(*) FILTER (WHERE regexp_full_match({core}, '{whole}([.,]\\d+)?\\)?-?')) AS num{i},
          count(*) FILTER (WHERE regexp_full_match({core}, '{whole}[.,]\\d{{1,2}}\\)?-?')) AS dec{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '0\\d+')) AS lead0_{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '\\d{{1,4}}')) AS small{i},
          count(DISTINCT {c}) AS distinct{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '[A-Za-z]*[-_]?\\d+|[A-Za-z0-9_-]{{3,24}}')) AS idlike{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '{EMAIL_VALUE}')) AS email{i},
          count(*) FILTER (WHERE regexp_full_match({c}, '#\\d+')) AS hashnum{i}""")
    row = con.execute(
        f"SELECT {','.join(parts)} FROM (SELECT * FROM {table} LIMIT {int(sample)})",
        {"fmts": list(DATE_FORMATS_ANY)},
    ).fetchall()[0]
    keys = ("n", "date", "num", "dec", "lead0", "small", "distinct", "idlike", "email", "hashnum")
    rows = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT {int(sample)})").fetchall()[0][0] or 1
    profiles = []
    for i in range(ncols):
        vals = dict(zip(keys, row[i * len(keys):(i + 1) * len(keys)]))
        n = vals["n"] or 1
        profile = {k: (v / n if k != "n" else v) for k, v in vals.items()}
        profile["fill"] = vals["n"] / rows  # the share of rows with a value: a key is on (nearly) every row
        profiles.append(profile)
    return profiles


KEY_FILL = 0.9   # a customer key is on at least this share of rows
NUMBER_FIELDS = ("amount", "unit_price", "quantity", "age")
MIN_NUMBER_SHARE = 0.5  # a numeric field's column has numbers in at least this share of its values


def required_missing(required: tuple[str, ...], mapping: dict[str, int]) -> list[str]:
    """The required fields not mapped; a unit price stands in for the amount (amount = price × quantity)."""
    return [f for f in required if f not in mapping and not (f == "amount" and "unit_price" in mapping)]


def map_by_values(profiles: list[dict], fields: tuple[str, ...], have: dict[str, int],
                  taken: set[int]) -> dict[str, int]:
    """Guess the required fields still missing from what the values look like."""
    out: dict[str, int] = {}
    free = [i for i in range(len(profiles)) if i not in taken and profiles[i]["n"] > 0]

    def pick(fld: str, ok, score) -> None:
        if fld in have or fld in out or fld not in fields:
            return
        cands = [i for i in free if i not in taken and ok(profiles[i])]
        if cands:
            best = max(cands, key=lambda i: (score(profiles[i]), -i))
            out[fld] = best
            taken.add(best)

    pick("order_date", lambda p: p["date"] >= 0.9, lambda p: p["date"])
    pick("amount", lambda p: p["num"] >= 0.9 and p["dec"] >= 0.3 and p["lead0"] < 0.1,
         lambda p: p["dec"])
    # Ids repeat (several orders per customer), are tokens, not money, and are on (nearly) every row: a
    # column that is mostly blank (a discount code) identifies no one. An email identifies a customer too.
    pick("customer_id", lambda p: p["fill"] >= KEY_FILL and p["email"] >= 0.9,
         lambda p: (p["email"], p["fill"]))
    pick("customer_id", lambda p: p["idlike"] >= 0.9 and p["dec"] < 0.1 and p["distinct"] < 1.0
         and p["fill"] >= KEY_FILL and p["hashnum"] < 0.5,
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
    absent = {fld for fld, spec in (user or {}).items() if spec is None}  # the user says: no such column
    for fld, spec in (user or {}).items():
        if fld not in fields:
            raise TierwiseError(_unknown_field(fld, fields))
        if spec is None:
            if fld in required:
                raise TierwiseError(f"'{fld}' is required in a {kind} file; choose the column that holds it.")
            continue
        idx = resolve_column(spec, names, header)
        if idx in taken:
            other = next(f for f, i in mapping.items() if i == idx)
            raise TierwiseError(
                f"Column '{names[idx]}' is mapped to both '{other}' and '{fld}'; map it once."
            )
        mapping[fld] = idx
        taken.add(idx)
    profiles = None
    if header:
        by_name = map_by_name(names, tuple(f for f in fields if f not in mapping and f not in absent), taken)
        mapping.update(by_name)
        numeric = [f for f in by_name if f in NUMBER_FIELDS]
        if numeric:
            # a name is a promise the values must keep: "Price Point Name" (Small / Medium / Large) holds no price
            profiles = column_profiles(con, table, len(names))
            for fld in numeric:
                idx = mapping[fld]
                if profiles[idx]["n"] and profiles[idx]["num"] < MIN_NUMBER_SHARE:
                    del mapping[fld]
                    taken.discard(idx)
                    warnings.append(f"Column '{names[idx]}' is named like {fld} but holds no numbers; it is kept as "
                                    f"a column of its own.")
    missing = required_missing(required, mapping)
    if kind == "transactions" and "order_id" not in mapping and "order_id" not in absent and header:
        # Order numbers written '#1001' (Shopify's "Name" column) under a header that does not say order.
        profiles = profiles or column_profiles(con, table, len(names))
        numbered = [i for i, p in enumerate(profiles) if i not in taken and p["hashnum"] >= 0.9 and p["fill"] >= KEY_FILL]
        if numbered:
            mapping["order_id"] = numbered[0]
            taken.add(numbered[0])
            warnings.append(f"Column '{names[numbered[0]]}' holds order numbers (#1001 …): used as the order id.")
    if "customer_id" in missing and "email" in mapping:
        # Customers known only by their email: the email is the key (pseudonymised at cleaning, and kept as the
        # customer's email); in a transactions file it is then no separate field.
        mapping["customer_id"] = mapping["email"]
        if kind == "transactions":
            del mapping["email"]
        missing.remove("customer_id")
    if missing or not header:
        profiles = profiles or column_profiles(con, table, len(names))
        wanted = tuple(f for f in (fields if not header else missing) if f not in absent)
        guessed = map_by_values(profiles, wanted, mapping, taken)
        for fld, idx in guessed.items():
            mapping[fld] = idx
            if header and not (fld == "customer_id" and profiles[idx]["email"] >= 0.9):  # said at cleaning
                warnings.append(
                    f"Guessed that column '{names[idx]}' holds {fld} from its values; "
                    f"if wrong, pass --map {fld}=<column>."
                )
    missing = required_missing(required, mapping)
    if missing:
        raise TierwiseError(_missing_message(file_name, missing, names, header, kind))
    if kind == "transactions" and "channel" in mapping and "channel" not in (user or {}):
        _drop_customer_channel(con, table, names, header, mapping, taken, warnings)
    if kind == "transactions" and "amount" not in (user or {}) and "amount" not in absent:
        _line_amount_over_order_total(con, table, names, mapping, taken, warnings)
        _amount_by_line_total(con, table, names, mapping, taken, warnings)
    if header and "customer_id" in mapping and "customer_id" not in (user or {}):
        _phone_over_nickname(con, table, names, mapping, taken, warnings)
    return mapping, warnings


# A key named as a person's name or nickname (买家昵称, Buyer Name): it can change and two people can share it
NAME_KEY = re.compile(r"昵称|nick|姓名|名称|\bname\b", re.IGNORECASE)
# whose phone a column holds when it is someone else's than the buyer's (the recipient of a delivery)
RECIPIENT = re.compile(r"收货|收件|提货|recipient|ship|deliver|receiver", re.IGNORECASE)
KEY_SAMPLE_ROWS = 20_000


def _phone_over_nickname(con, table: str, names: list[str], mapping: dict[str, int], taken: set[int],
                         warnings: list[str]) -> None:
    """A customer key taken by its name that is a nickname or a person's name gives way to the buyer's phone number
    (filled on nearly every line): a phone is one person however their nickname changes. The number itself never
    becomes an id (tools.cleaning gives each a pseudonym)."""
    from tools.cleaning import PHONE_HEADER, PHONE_VALUE, _params, _text

    current = mapping["customer_id"]
    if not NAME_KEY.search(str(names[current])):
        return
    phones = [i for i in range(len(names)) if i not in taken and PHONE_HEADER.search(str(names[i]))]
    phones.sort(key=lambda i: bool(RECIPIENT.search(str(names[i]))))  # the buyer's own before a recipient's
    for i in phones:
        filled, like = con.execute(
            f"SELECT avg(CASE WHEN v IS NULL THEN 0.0 ELSE 1.0 END), "
            f"avg(CASE WHEN regexp_full_match(v, '{PHONE_VALUE}') THEN 1.0 ELSE 0.0 END) FILTER (WHERE v IS NOT NULL) "
            f"FROM (SELECT {_text(f'c{i + 1}')} AS v FROM {table} LIMIT {KEY_SAMPLE_ROWS})", _params()).fetchall()[0]
        if (filled or 0) >= 0.9 and (like or 0) >= 0.9:
            taken.discard(current)
            taken.add(i)
            mapping["customer_id"] = i
            warnings.append(f"'{names[current]}' is a name that can change: customers are identified by the phone "
                            f"number in '{names[i]}' instead.")
            return


def _line_amount_over_order_total(con, table: str, names: list[str], mapping: dict[str, int], taken: set[int],
                                  warnings: list[str]) -> None:
    """An amount taken by its name that is the order's total written on each of its lines (订单实付金额) gives way to
    a column named as an amount that varies between the lines of an order (商品实际成交金额, Line Total): summing the
    order total over its lines would count each order once per line."""
    if "amount" not in mapping or "order_id" not in mapping:
        return
    current = mapping["amount"]
    syns = sorted((normalise(x) for x in SYNONYMS["amount"] if len(normalise(x)) >= 4), key=len, reverse=True)
    others = [i for i in range(len(names)) if i not in taken and not _vetoed("amount", names[i])
              and any(_holds(names[i], x) for x in syns)]
    if not others:
        return
    key = f"c{mapping['order_id'] + 1}"
    cols = [current, *others]
    stats = ", ".join(f"count(*) FILTER (WHERE lo{k} = hi{k}) AS same{k}" for k in range(len(cols)))
    per = ", ".join(f"min({_money_sql(f'c{i + 1}')}) AS lo{k}, max({_money_sql(f'c{i + 1}')}) AS hi{k}"
                    for k, i in enumerate(cols))
    row = con.execute(f"""SELECT count(*), {stats} FROM (
        SELECT {per} FROM (SELECT * FROM {table} LIMIT {KEY_SAMPLE_ROWS}) WHERE {key} IS NOT NULL
        GROUP BY {key} HAVING count(*) >= 2)""").fetchall()[0]
    orders, same = row[0], row[1:]
    if orders < 20 or same[0] < 0.95 * orders:
        return  # too few multi-line orders to tell, or the amount varies between lines: a line amount
    line_level = [i for k, i in enumerate(cols[1:], start=1) if same[k] < 0.5 * orders]
    if not line_level:
        return
    best = line_level[0]
    taken.discard(current)
    taken.add(best)
    mapping["amount"] = best
    warnings.append(f"'{names[current]}' is the order's total, written on each of its lines; each line's amount is "
                    f"'{names[best]}'.")


LINE_TOTAL_ROWS = 20_000     # first rows read to find the column that is price x quantity
LINE_TOTAL_SHARE = 0.9       # of the rows with a price, a quantity and a value: how many must equal price x quantity


def _money_sql(col: str) -> str:
    """A raw column's money text as a number, read as the loader reads it ('$1,234.50', 'CA$4.75', '84,80 €')."""
    from tools.cleaning import _number

    return _number(f"nullif(trim({col}), '')", decimal_comma=False)


def _amount_by_line_total(con, table: str, names: list[str], mapping: dict[str, int], taken: set[int],
                          warnings: list[str]) -> None:
    """With a unit price and a quantity, the line's amount is the column equal to price x quantity on nearly every
    line (Etsy's "Item Total", a "Line Subtotal", 金额小计), whatever its name: it replaces an amount taken by name
    that rarely is (a discount, a fee), and is used instead of computing price x quantity when no amount was found."""
    if "unit_price" not in mapping or "quantity" not in mapping:
        return
    cols = [f"c{i + 1}" for i in range(len(names))]
    price, qty = _money_sql(cols[mapping["unit_price"]]), _money_sql(cols[mapping["quantity"]])
    others = [i for i in range(len(names)) if i not in taken or i == mapping.get("amount")]
    if not others:
        return
    shares = ", ".join(
        f"avg(CASE WHEN abs({_money_sql(cols[i])} - {price} * {qty}) <= 0.011 THEN 1.0 ELSE 0.0 END) "
        f"FILTER (WHERE {_money_sql(cols[i])} IS NOT NULL AND {price} IS NOT NULL AND {qty} IS NOT NULL "
        f"AND {price} * {qty} <> 0) AS s{i}" for i in others)
    row = con.execute(f"SELECT {shares} FROM (SELECT * FROM {table} LIMIT {LINE_TOTAL_ROWS})").fetchall()[0]
    share = {i: (v or 0.0) for i, v in zip(others, row)}
    current = mapping.get("amount")
    if current is not None and share.get(current, 0.0) >= 0.5:
        return  # the amount by name is a line total (perhaps net of discounts on some lines): kept
    best = max((i for i in others if i != current), key=lambda i: share[i], default=None)
    if best is None or share[best] < LINE_TOTAL_SHARE:
        return
    if current is not None:
        taken.discard(current)
        warnings.append(f"Column '{names[current]}' is named like the amount but is rarely price x quantity; "
                        f"'{names[best]}' is (on {share[best]:.0%} of lines) and is used as the amount.")
    else:
        warnings.append(f"Column '{names[best]}' is price x quantity on {share[best]:.0%} of lines: used as the "
                        f"amount.")
    mapping["amount"] = best
    taken.add(best)


CHANNEL_CHECK_ROWS = 200_000   # first rows read to tell an order's channel from a customer's source


def _drop_customer_channel(con, table: str, names: list[str], header: bool, mapping: dict[str, int],
                           taken: set[int], warnings: list[str]) -> None:
    """An order's channel varies between a customer's orders now and then; a column that is the
    same on every order of nearly every customer with several orders is how the customer was won
    (a referral or signup source): it stays an attribute at customer grain, and another header
    naming the channel, if any, is tried."""
    rejected: set[int] = set()
    while "channel" in mapping:
        idx = mapping["channel"]
        several, constant = _constancy(con, table, mapping, idx)
        from tools.attributes import GRAIN_CONSTANT_SHARE, GRAIN_MIN_CUSTOMERS

        if several < GRAIN_MIN_CUSTOMERS or constant < GRAIN_CONSTANT_SHARE * several:
            return
        warnings.append(
            f"Column '{names[idx]}' looked like the sales channel, but it is the same on every order "
            f"of {constant:,} of the {several:,} customers with several orders: it describes the "
            f"customer (how they were won), not the order, so it was kept as a customer attribute. "
            f"If it is the order's channel, pass --map channel=\"{names[idx]}\".")
        del mapping["channel"]
        taken.discard(idx)
        rejected.add(idx)
        if header:
            again = map_by_name(names, ("channel",), taken | rejected)
            if "channel" in again:
                mapping["channel"] = again["channel"]
                taken.add(again["channel"])


def _constancy(con, table: str, mapping: dict[str, int], idx: int) -> tuple[int, int]:
    """(customers with two or more orders that carry a value in column `idx`, those of them whose
    value never changes, case aside), on the file's first rows."""
    def text(i: int) -> str:
        return f"nullif(trim(c{i + 1}), '')"

    key = text(mapping.get("order_id", mapping["order_date"]))
    return tuple(int(v) for v in con.execute(f"""
        SELECT count(*) FILTER (WHERE k_lo <> k_hi),
               count(*) FILTER (WHERE k_lo <> k_hi AND v_lo = v_hi)
        FROM (SELECT min(k) AS k_lo, max(k) AS k_hi, min(v) AS v_lo, max(v) AS v_hi
              FROM (SELECT {text(mapping['customer_id'])} AS c, {key} AS k, lower({text(idx)}) AS v
                    FROM (SELECT * FROM {table} LIMIT {CHANNEL_CHECK_ROWS}))
              WHERE c IS NOT NULL AND k IS NOT NULL AND v IS NOT NULL GROUP BY c)""").fetchall()[0])


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
