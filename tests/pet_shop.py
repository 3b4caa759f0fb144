"""A small pet-supplies shop export of our own making, for end-to-end questions checked against pandas.

Order-level columns on every line (the loader's Shopify handling is tested elsewhere): a Discount Code that is
blank on most orders, a Billing Country held as ISO codes (US, CA, GB, DE; blank for a few customers), product
types in two spellings ("Dog Food" / "dog food"), a refunded status, order ids. `names=True` writes a contract
Country column with full names instead (United States, Canada, ...).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

CATALOG = [("Kibble Adult 15 lb", "Dog Food", 49.0), ("Puppy Chow 5 lb", "dog food", 19.5),
           ("Clumping Litter 20 lb", "Cat Litter", 15.0), ("Salmon Pate 12 ct", "Cat Food", 22.0),
           ("Chew Bones", "Treats", 7.5), ("Rope Tug", "Toys", 9.0), ("Tropical Flakes", "Aquarium", 8.0),
           ("Dog Shampoo", "Grooming", 11.0), ("Nylon Leash 6 ft", "Leashes", 14.0)]
COUNTRIES = ["US", "US", "US", "CA", "CA", "GB", "DE", ""]
NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "": ""}
START = date(2023, 7, 1)


def write_pet_shop(path: Path, *, seed: int = 11, names: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows, order = [], 1000
    for i in range(320):
        customer = f"P{i:04d}"
        country = COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
        first = int(rng.integers(0, 700))
        for k in range(int(rng.integers(1, 6))):
            day = START + timedelta(days=min(729, first + int(rng.integers(5, 200)) * k))
            order += 1
            code = ["", "", "", "WELCOME10", "SPRING15"][int(rng.integers(0, 5))]
            status = "refunded" if rng.random() < 0.08 else "paid"
            channel = ["web", "pos"][int(rng.integers(0, 2))]
            for _ in range(int(rng.integers(1, 4))):
                product, kind, price = CATALOG[int(rng.integers(0, len(CATALOG)))]
                qty = int(rng.integers(1, 4))
                row = {"Order ID": f"#{order}", "Customer ID": customer, "Order Date": day.isoformat(), "Product": product,
                       "Product Type": kind, "Quantity": qty, "Line Total": round(price * qty, 2), "Channel": channel,
                       "Discount Code": code, "Financial Status": status}
                if names:
                    row["Country"] = NAMES[country]
                else:
                    row["Billing Country"] = country
                rows.append(row)
    frame = pd.DataFrame(rows)
    frame.to_csv(path, index=False)
    frame["day"] = pd.to_datetime(frame["Order Date"])
    frame["type"] = frame["Product Type"].str.lower()
    return frame


def completed(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["Financial Status"] == "paid"]
