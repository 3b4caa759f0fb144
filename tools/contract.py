"""The data contract: which fields Tierwise understands, and their types."""

from typing import Literal

TRANSACTION_REQUIRED = ("customer_id", "order_date", "amount")
# unit_price: a line's price per unit; when the file has no line total, amount = unit price × quantity.
# email: the customer's email, kept as theirs (never in an id); it identifies guest checkouts whose customer id is
# blank or a placeholder such as 0.
TRANSACTION_OPTIONAL = ("order_id", "product", "category", "quantity", "channel", "status", "unit_price", "email")
TRANSACTION_FIELDS = TRANSACTION_REQUIRED + TRANSACTION_OPTIONAL

CUSTOMER_REQUIRED = ("customer_id",)
CUSTOMER_OPTIONAL = (
    "name", "email", "country", "city", "signup_date", "gender", "age", "email_consent",
)
CUSTOMER_FIELDS = CUSTOMER_REQUIRED + CUSTOMER_OPTIONAL

# A status containing one of these (case-insensitive) means the order did not count: it is excluded
# from value and counted in the report. 交易关闭 (closed, unpaid) and 退款成功 (refunded) are
# cancelled, as are never-paid checkouts (待付款, unpaid); 交易成功, completed, shipped, delivered are not.
# A checkout never paid for: no sale, and no cancellation or refund either (nothing was sold to take back)
UNPAID_KEYWORDS = ("unpaid", "awaiting payment", "pending payment", "not paid", "待付款", "未付款", "待支付", "未支付")
CANCELLED_KEYWORDS = ("cancel", "refund", "return", "void", "closed", "fail", "declined",
                      "chargeback", "charge back", "reversed", "reversal", "rejected",
                      "storn", "annul", "rembours", "retour", "erstatt", "reembols", "devuel",
                      "取消", "关闭", "退款", "退货", "退单", "失败", "作废", "撤销", "拒收", "拒付",
                      # never paid: a checkout left unpaid is no sale either
                      *UNPAID_KEYWORDS)
# A status saying only part of the order was refunded, returned or cancelled ('Partially Refunded', 部分退款): the sale
# stands for the rest, so the order counts (in full: the file says how much went back only in a column of its own).
PARTIAL_KEYWORDS = ("partial", "部分")
# Common statuses of a completed sale: a shortcut that spares the keyword search on most rows.
# None of them contains a cancelled keyword (a test checks it).
COMPLETED_STATUSES = ("completed", "complete", "shipped", "delivered", "paid", "success",
                      "successful", "fulfilled", "processing", "open", "pending", "new",
                      "交易成功", "已完成", "完成", "已发货", "已签收", "已付款", "成功", "待发货")

# Stored column types (DuckDB) of the clean tables every later layer reads.
ORDERS_SCHEMA = {
    "customer_id": "VARCHAR",
    "order_date": "DATE",
    "amount": "DOUBLE",
    "order_id": "VARCHAR",
    "product": "VARCHAR",
    "category": "VARCHAR",
    "quantity": "DOUBLE",
    "channel": "VARCHAR",
    "status": "VARCHAR",
}
CUSTOMERS_SCHEMA = {
    "customer_id": "VARCHAR",
    "name": "VARCHAR",
    "email": "VARCHAR",
    "country": "VARCHAR",
    "city": "VARCHAR",
    "signup_date": "DATE",
    "gender": "VARCHAR",
    "age": "INTEGER",
    "email_consent": "BOOLEAN",
}

FileKind = Literal["transactions", "customers"]
