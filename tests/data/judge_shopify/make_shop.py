"""A Shopify-style order export of a US pet-supplies shop ("Pawsome Supply Co."), never seen by the planner.

Deterministic for a seed (numpy). `python -m tests.data.judge_shopify.make_shop DIR` or `write_shop(DIR)`
writes DIR/orders_export_1.csv (the name Shopify gives its export) and returns its path.

What the file looks like (what Shopify's Orders → Export → CSV gives, not the contract's names):
- one row per line item, comma-separated UTF-8, newest order first;
- "Name" is the order number (#1001, #1002, ...); "Email" is the customer (used as the customer key);
- "Created at" is local time with the UTC offset of the shop's zone (America/New_York), e.g.
  "2024-03-05 14:22:10 -0500"; the day of an order is the local day written there;
- "Lineitem quantity" × "Lineitem price" (unit price, plain decimals) is the line's amount;
- "Financial Status" is paid / pending / refunded / partially_refunded / voided;
- order-level columns are written on the FIRST line of an order only and blank on its later lines, as
  Shopify does: Financial Status, Fulfillment Status, Accepts Marketing, Discount Code, Shipping Method,
  Billing Province, Billing Province Name, Billing Country, Source, Tags;
- "Source" is the sales channel (web, pos, iphone, shopify_draft_order); "Tags" is subscriber / wholesale
  / blank, constant per customer; "Billing Country" is an ISO code (US, CA), "Billing Province" a code
  (CA = California, ON = Ontario) and "Billing Province Name" its name;
- "Product Type" has messy spellings ("Dog Food", "dog food", "Dog  Food", "Cat litter", "toys", ...).
- a few messy rows: a blank "Lineitem quantity" on a few lines of paid orders, and on some
  partially_refunded orders an extra refund line "Refund - <item>" with quantity -1.

About 2,500 customers, ~15,000 lines, 2023-06-19 .. 2025-06-18.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

START = date(2023, 6, 19)
END = date(2025, 6, 18)
N_CUSTOMERS = 2500
FILE_NAME = "orders_export_1.csv"

# title, type, vendor, price, pet, weight (popularity within the pet)
CATALOG = [
    ("Purina Pro Plan Adult Chicken & Rice - 18 lb", "Dog Food", "Purina", 54.99, "dog", 9),
    ("Purina Pro Plan Adult Chicken & Rice - 35 lb", "Dog Food", "Purina", 84.99, "dog", 5),
    ("Blue Buffalo Life Protection Adult - 30 lb", "Dog Food", "Blue Buffalo", 64.99, "dog", 7),
    ("Hill's Science Diet Puppy - 15.5 lb", "Dog Food", "Hill's", 58.99, "dog", 4),
    ("Wellness Core Grain-Free Dog Food - 22 lb", "Dog Food", "Wellness", 72.99, "dog", 3),
    ("Milk-Bone Original Dog Biscuits - 24 oz", "Treats", "Milk-Bone", 6.49, "dog", 12),
    ("Greenies Dental Treats - Regular 27 ct", "Treats", "Greenies", 34.99, "dog", 5),
    ("Zuke's Mini Naturals - Peanut Butter", "Treats", "Zuke's", 9.99, "dog", 6),
    ("KONG Classic Dog Toy - Medium", "Toys", "KONG", 13.99, "dog", 6),
    ("Chuckit! Ultra Ball 2-Pack", "Toys", "Chuckit!", 8.99, "dog", 6),
    ("Nylabone Power Chew - Large", "Toys", "Nylabone", 11.49, "dog", 4),
    ("Burt's Bees Oatmeal Dog Shampoo", "Grooming", "Burt's Bees", 9.99, "dog", 4),
    ("FURminator deShedding Tool - Large Dog", "Grooming", "FURminator", 39.99, "dog", 2),
    ("Orthopedic Memory Foam Dog Bed - Large", "Beds & Crates", "Furhaven", 69.99, "dog", 2),
    ("MidWest Folding Dog Crate - 36 in", "Beds & Crates", "MidWest", 59.99, "dog", 1),
    ("Tidy Cats Clumping Litter - 20 lb", "Cat Litter", "Tidy Cats", 14.99, "cat", 10),
    ("Tidy Cats Clumping Litter - 40 lb", "Cat Litter", "Tidy Cats", 24.99, "cat", 6),
    ("Dr. Elsey's Ultra Unscented Litter - 40 lb", "Cat Litter", "Dr. Elsey's", 21.99, "cat", 5),
    ("Fresh Step Crystals Litter - 8 lb", "Cat Litter", "Fresh Step", 17.99, "cat", 3),
    ("Purina ONE Indoor Advantage Cat Food - 16 lb", "Cat Food", "Purina", 32.99, "cat", 7),
    ("Fancy Feast Gravy Lovers Variety - 24 ct", "Cat Food", "Purina", 22.49, "cat", 7),
    ("Blue Buffalo Wilderness Indoor Cat - 11 lb", "Cat Food", "Blue Buffalo", 46.99, "cat", 3),
    ("Temptations Classic Cat Treats - 16 oz", "Treats", "Temptations", 10.49, "cat", 7),
    ("Feather Wand Cat Teaser", "Toys", "Petstages", 5.99, "cat", 4),
    ("Catnip Mice 6-Pack", "Toys", "Petstages", 7.49, "cat", 4),
    ("Safari Cat Nail Trimmer", "Grooming", "Safari", 8.49, "cat", 2),
    ("Cat Scratching Post - 32 in", "Beds & Crates", "Frisco", 29.99, "cat", 2),
    ("Tetra TetraMin Tropical Flakes - 2.2 oz", "Aquarium", "Tetra", 7.99, "fish", 10),
    ("Aqueon LED Aquarium Kit - 20 gal", "Aquarium", "Aqueon", 119.99, "fish", 2),
    ("API Freshwater Master Test Kit", "Aquarium", "API", 34.99, "fish", 4),
    ("Fluval C3 Power Filter", "Aquarium", "Fluval", 64.99, "fish", 2),
    ("Kaytee Forti-Diet Pro Health Parakeet Food - 5 lb", "Bird Supplies", "Kaytee", 12.99, "bird", 8),
    ("Prevue Hendryx Flight Cage", "Bird Supplies", "Prevue", 89.99, "bird", 1),
    ("JW Pet Insight Bird Toy", "Bird Supplies", "JW Pet", 6.99, "bird", 4),
]
MESSY_TYPES = {"Dog Food": ["dog food", "Dog  Food", "DOG FOOD"], "Cat Litter": ["Cat litter", "cat litter "],
               "Toys": ["toys"], "Treats": ["treats"]}

US_STATES = [("CA", "California", 14), ("TX", "Texas", 10), ("FL", "Florida", 8), ("NY", "New York", 7),
             ("PA", "Pennsylvania", 5), ("IL", "Illinois", 5), ("OH", "Ohio", 4), ("GA", "Georgia", 4),
             ("NC", "North Carolina", 4), ("WA", "Washington", 4), ("MI", "Michigan", 3), ("NJ", "New Jersey", 3),
             ("VA", "Virginia", 3), ("AZ", "Arizona", 3), ("MA", "Massachusetts", 3), ("CO", "Colorado", 3),
             ("OR", "Oregon", 2), ("MN", "Minnesota", 2), ("TN", "Tennessee", 2), ("MO", "Missouri", 2)]
CA_PROVINCES = [("ON", "Ontario", 5), ("BC", "British Columbia", 3), ("QC", "Quebec", 2), ("AB", "Alberta", 2)]
FIRST = ["james", "mary", "john", "patricia", "robert", "jennifer", "michael", "linda", "william", "elizabeth",
         "david", "barbara", "richard", "susan", "joseph", "jessica", "thomas", "sarah", "chris", "karen",
         "daniel", "nancy", "matt", "lisa", "anthony", "betty", "mark", "sandra", "emily", "ashley", "kevin",
         "amanda", "brian", "melissa", "josh", "laura", "ryan", "megan", "jacob", "rachel", "olivia", "noah",
         "emma", "liam", "sophia", "mason", "ava", "ethan", "mia", "logan", "wei", "priya", "carlos", "sofia"]
LAST = ["smith", "johnson", "williams", "brown", "jones", "garcia", "miller", "davis", "rodriguez", "martinez",
        "hernandez", "lopez", "gonzalez", "wilson", "anderson", "thomas", "taylor", "moore", "jackson", "martin",
        "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis", "robinson",
        "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "chen",
        "patel", "kim", "murphy", "cook", "rogers", "morgan", "cooper", "reed", "bailey"]
DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "aol.com"]
SOURCES = ["web", "iphone", "pos", "shopify_draft_order"]

COLUMNS = ["Name", "Email", "Financial Status", "Fulfillment Status", "Accepts Marketing", "Created at",
           "Discount Code", "Shipping Method", "Lineitem quantity", "Lineitem name", "Lineitem price",
           "Lineitem sku", "Product Type", "Vendor", "Billing Province", "Billing Province Name",
           "Billing Country", "Source", "Tags"]
ORDER_LEVEL = ["Financial Status", "Fulfillment Status", "Accepts Marketing", "Discount Code", "Shipping Method",
               "Billing Province", "Billing Province Name", "Billing Country", "Source", "Tags"]


def _dst(d: date) -> bool:
    """US daylight saving time (second Sunday of March .. first Sunday of November)."""
    def nth_sunday(y: int, m: int, n: int) -> date:
        first = date(y, m, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))
    return nth_sunday(d.year, 3, 2) <= d < nth_sunday(d.year, 11, 1)


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    emails, seen = [], set()
    while len(emails) < N_CUSTOMERS:
        f, l = rng.choice(FIRST), rng.choice(LAST)
        style = rng.integers(4)
        local = [f"{f}.{l}", f"{f}{l}{rng.integers(1, 99)}", f"{f[0]}{l}", f"{f}_{l}{rng.integers(70, 99)}"][style]
        email = f"{local}@{rng.choice(DOMAINS)}"
        if email not in seen:
            seen.add(email)
            emails.append(email)
    n = N_CUSTOMERS
    canada = rng.random(n) < 0.07
    us_w = np.array([w for *_, w in US_STATES], float); ca_w = np.array([w for *_, w in CA_PROVINCES], float)
    prov = [CA_PROVINCES[rng.choice(len(CA_PROVINCES), p=ca_w / ca_w.sum())] if c
            else US_STATES[rng.choice(len(US_STATES), p=us_w / us_w.sum())] for c in canada]
    tag = rng.choice(["", "subscriber", "wholesale"], size=n, p=[0.82, 0.15, 0.03])
    dog = rng.random(n) < 0.58
    cat = rng.random(n) < np.where(dog, 0.25, 0.85)
    fish = rng.random(n) < 0.08
    bird = rng.random(n) < 0.05
    none = ~(dog | cat | fish | bird)
    dog = dog | none
    first = [START + timedelta(days=int(x)) for x in rng.integers(0, (END - START).days + 1, size=n)]
    rate = rng.gamma(1.3, 1.5, size=n) * np.where(tag == "subscriber", 3.0, 1.0)  # orders per year
    return pd.DataFrame({
        "email": emails, "country": np.where(canada, "CA", "US"), "prov": [p[0] for p in prov],
        "prov_name": [p[1] for p in prov], "tag": tag, "marketing": np.where(rng.random(n) < 0.68, "yes", "no"),
        "dog": dog, "cat": cat, "fish": fish, "bird": bird, "first": first, "rate": rate,
        "dropout": rng.beta(1.0, 4.0, size=n), "source": rng.choice(SOURCES, size=n, p=[0.62, 0.16, 0.17, 0.05]),
    })


def _order_days(rng, c) -> list[date]:
    days = [c.first]
    while True:
        if rng.random() < c.dropout and len(days) > 0:
            if rng.random() < 0.6:
                break
        gap = rng.exponential(365.0 / max(c.rate, 0.05))
        nxt = days[-1] + timedelta(days=int(round(gap)))
        if nxt > END:
            break
        days.append(nxt)
    return days


def build(seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = _customers(rng)
    pets = np.array([p[4] for p in CATALOG]); weights = np.array([p[5] for p in CATALOG], float)
    orders = []
    people = list(cust.itertuples())
    for c in people:
        for k, d in enumerate(_order_days(rng, c)):
            orders.append((c.Index, d, k))
    # the last day always has a few paid web orders (the export was taken that evening)
    for i in rng.choice(N_CUSTOMERS, size=4, replace=False):
        orders.append((int(i), END, 1))
    orders.sort(key=lambda o: (o[1], o[0]))
    rows = []
    number = 1000
    for ci, d, k in orders:
        c = people[ci]
        number += 1
        hour = int(rng.choice(np.arange(7, 24), p=np.array([1, 2, 3, 4, 5, 6, 6, 6, 6, 6, 6, 7, 8, 9, 8, 6, 4], float) / 93))
        if d == END:
            hour = min(hour, 19)
        ts = datetime(d.year, d.month, d.day, hour, int(rng.integers(60)), int(rng.integers(60)))
        created = ts.strftime("%Y-%m-%d %H:%M:%S") + (" -0400" if _dst(d) else " -0500")
        recent = (END - d).days < 10
        u = rng.random()
        if d == END:
            status = "paid"
        elif recent:
            status = "pending" if u < 0.25 else "paid" if u < 0.97 else "voided"
        else:
            status = ("paid" if u < 0.895 else "refunded" if u < 0.945 else "partially_refunded" if u < 0.965
                      else "voided" if u < 0.985 else "pending")
        fulfil = {"paid": "fulfilled", "pending": "unfulfilled", "refunded": "fulfilled",
                  "partially_refunded": "fulfilled", "voided": ""}[status]
        if recent and status == "paid" and rng.random() < 0.5:
            fulfil = "unfulfilled"
        source = c.source if rng.random() < 0.8 else rng.choice(SOURCES, p=[0.6, 0.2, 0.15, 0.05])
        code = ""
        if k == 0 and rng.random() < 0.3:
            code = "WELCOME10"
        elif (d.month == 11 and d.day >= 24) or (d.month == 12 and d.day <= 2):
            code = "BFCM25" if rng.random() < 0.5 else ""
        elif rng.random() < 0.07:
            code = rng.choice(["PETLOVE15", "SUMMER20", "Vip5"])
        ship = ("Local Pickup" if source == "pos" else
                rng.choice(["Standard Shipping", "Free Shipping (orders $49+)", "Express (2-Day)"], p=[0.5, 0.38, 0.12]))
        my_pets = [p for p in ("dog", "cat", "fish", "bird") if getattr(c, p)]
        n_lines = int(min(1 + rng.poisson(1.45), 6))
        picked: list[int] = []
        for _ in range(n_lines):
            pet = rng.choice(my_pets)
            idx = np.flatnonzero(pets == pet)
            j = int(rng.choice(idx, p=weights[idx] / weights[idx].sum()))
            if j not in picked:
                picked.append(j)
        for li, j in enumerate(picked):
            title, ptype, vendor, price, pet, _ = CATALOG[j]
            if c.tag == "wholesale":
                qty = int(rng.integers(4, 13))
            else:
                qty = int(rng.choice([1, 2, 3, 4], p=[0.72, 0.2, 0.06, 0.02]))
            if ptype in MESSY_TYPES and rng.random() < 0.1:
                ptype = rng.choice(MESSY_TYPES[ptype])
            row = {"Name": f"#{number}", "Email": c.email, "Created at": created, "Lineitem quantity": str(qty),
                   "Lineitem name": title, "Lineitem price": f"{price:.2f}", "Lineitem sku": f"PSC-{j + 101:04d}",
                   "Product Type": ptype, "Vendor": vendor}
            if li == 0:
                row.update({"Financial Status": status, "Fulfillment Status": fulfil, "Accepts Marketing": c.marketing,
                            "Discount Code": code, "Shipping Method": ship, "Billing Province": c.prov,
                            "Billing Province Name": c.prov_name, "Billing Country": c.country, "Source": source,
                            "Tags": c.tag})
            rows.append(row)
        if status == "partially_refunded" and rng.random() < 0.12:
            title, ptype, vendor, price, *_ = CATALOG[picked[-1]]
            rows.append({"Name": f"#{number}", "Email": c.email, "Created at": created, "Lineitem quantity": "-1",
                         "Lineitem name": f"Refund - {title}", "Lineitem price": f"{price:.2f}", "Lineitem sku": "",
                         "Product Type": CATALOG[picked[-1]][1], "Vendor": vendor})
    df = pd.DataFrame(rows, columns=COLUMNS).fillna("")
    # a handful of lines of paid orders with a blank quantity (an app that wrote the line badly)
    paid_names = set(df.loc[df["Financial Status"] == "paid", "Name"])
    cand = df.index[df["Name"].isin(paid_names) & (df["Lineitem quantity"] != "-1")
                    & ~df["Created at"].str.startswith(END.isoformat())]
    df.loc[rng.choice(cand, size=6, replace=False), "Lineitem quantity"] = ""
    # Shopify lists the newest order first
    df["_n"] = df["Name"].str[1:].astype(int)
    df = df.iloc[np.lexsort((np.arange(len(df)), -df["_n"].to_numpy()))].drop(columns="_n")
    return df.reset_index(drop=True)


def write_shop(directory: str | Path, seed: int = 7) -> Path:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / FILE_NAME
    build(seed).to_csv(path, index=False, encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_shop(sys.argv[1] if len(sys.argv) > 1 else "."))
