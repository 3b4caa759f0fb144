"""The data contract: which fields Tierwise understands, and their types."""

from typing import Literal

TRANSACTION_REQUIRED = ("customer_id", "order_date", "amount")
TRANSACTION_OPTIONAL = ("order_id", "product", "category", "quantity", "channel", "status")
TRANSACTION_FIELDS = TRANSACTION_REQUIRED + TRANSACTION_OPTIONAL

CUSTOMER_REQUIRED = ("customer_id",)
CUSTOMER_OPTIONAL = (
    "name", "email", "country", "city", "signup_date", "gender", "age", "email_consent",
)
CUSTOMER_FIELDS = CUSTOMER_REQUIRED + CUSTOMER_OPTIONAL

# Status values that mean the order did not count: excluded from value, counted in the report.
CANCELLED_STATUSES = ("cancelled", "canceled", "refunded", "returned", "void", "voided",
                      "已取消", "取消", "已退款", "退款", "退货")

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
