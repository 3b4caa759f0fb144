"""Write attributes_shop.csv: 300 order lines of 60 customers with columns beyond the contract.

Deterministic (run `python tests/data/make_attributes_shop.py` to rebuild it). Per customer:
Loyalty Member (Yes/No), Age and Zip (five digits, some with leading zeros) are constant; per
line: Payment Method (PayPal in several spellings, Card, Cash), Rating (1-5, sometimes empty),
Gift Wrap (true/false), Delivery Date and Status (a few cancelled, refunded, returned or failed).
Customers C059 and C060 have every order cancelled. Notes is always empty.
"""

import csv
import random
from datetime import date, timedelta
from pathlib import Path

OUT = Path(__file__).with_name("attributes_shop.csv")
HEADER = ["Customer ID", "Order Date", "Amount", "Status", "Payment Method", "Loyalty Member",
          "Rating", "Age", "Zip", "Delivery Date", "Gift Wrap", "Notes"]
PAYMENTS = [("PayPal", 40), ("Paypal", 10), ("paypal ", 6), ("Pay-Pal", 4), ("Card", 25), ("Cash", 15)]
STATUSES = [("completed", 78), ("Shipped", 6), ("Delivered", 6), ("Cancelled", 4), ("Refunded", 3),
            ("Returned", 2), ("Payment Failed", 1)]
ZIPS = ["02139", "00501", "10001", "60614", "07030", "94105", "01002", "30301"]


def pick(rng: random.Random, weighted):
    values, weights = zip(*weighted)
    return rng.choices(values, weights=weights)[0]


def rows(seed: int = 10) -> list[list[str]]:
    rng = random.Random(seed)
    out = []
    start = date(2024, 1, 1)
    for c in range(1, 61):
        cid = f"C{c:03d}"
        loyal = rng.choice(["Yes", "No"])
        age = str(rng.randint(18, 72))
        zip_code = rng.choice(ZIPS)
        for _ in range(5):
            day = start + timedelta(days=rng.randint(0, 300))
            status = rng.choice(["Cancelled", "Refunded"]) if c >= 59 else pick(rng, STATUSES)
            rating = "" if rng.random() < 0.1 else str(rng.randint(1, 5))
            out.append([cid, day.isoformat(), f"{rng.uniform(5, 200):.2f}", status,
                        pick(rng, PAYMENTS), loyal, rating, age, zip_code,
                        (day + timedelta(days=rng.randint(1, 6))).isoformat(),
                        rng.choice(["true", "false"]), ""])
    return out


if __name__ == "__main__":
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows())
    print(f"wrote {OUT}")
