"""A WooCommerce-style order export of a UK beauty & skincare shop ("Glow & Gather"), never seen by the planner.

Deterministic for a seed (numpy). `python -m tests.data.judge_woo.make_shop DIR` or `write_shop(DIR)` writes
DIR/orders-export-2025-12-14.csv and returns its path.

What the file looks like (a WooCommerce order/line-item CSV export, not the contract's names):
- one row per line item, comma-separated UTF-8, newest order first; every order-level column is REPEATED on
  every line of the order (as WooCommerce's exporters do);
- "Order Number" (10001, 10002, ... in date order); "Order Date" UK day-first "05/03/2024 14:22";
- "Order Status": Completed / Processing / On hold (sales) and Refunded / Cancelled / Failed (not);
- "Customer User ID": the registered account's numeric id, 0 for a guest checkout; guests are known by
  "Billing Email" only. About 15% of customers are guests; about 3% of registered customers placed their
  first order as a guest with the same email before registering;
- "Item Cost" is the unit price ("£12.50"), "Line Total" = Quantity × Item Cost ("£25.00");
  "Order Total" = the order's items − coupon discount + shipping, written on every line of the order (a
  trap: summing it over lines overcounts); "Order Shipping" the order's shipping;
- money written "£1,234.00" (thousands separator) — one corporate gift line reaches £1,234.00;
- "Category" Skincare, Makeup, Haircare, Fragrance, Bath & Body, Tools, with a few messy spellings
  ("skincare", "Skin Care", "Make-up", "MAKEUP", "Bath and Body");
- a few lines of completed orders have a blank "Quantity" (their Line Total is one unit's cost);
- "Billing Country" is an ISO code (GB, IE, FR, DE, NL, US), constant per customer, as is "Billing City";
- "Customer Note" is free text, mostly blank.

About 2,000 customers, ~12,000 lines, 2023-12-15 .. 2025-12-14 (the last day has completed orders).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

START = date(2023, 12, 15)
END = date(2025, 12, 14)
N_CUSTOMERS = 2000
FILE_NAME = "orders-export-2025-12-14.csv"

# name, sku, category, unit price (GBP), popularity weight, usual quantity range (lo, hi)
CATALOG = [
    ("Hydrating Sheet Mask", "SKN-001", "Skincare", 3.50, 14, (2, 5)),
    ("Vitamin C Brightening Serum", "SKN-002", "Skincare", 24.00, 9, (1, 1)),
    ("Hyaluronic Acid Serum", "SKN-003", "Skincare", 18.50, 9, (1, 2)),
    ("Gentle Foaming Cleanser", "SKN-004", "Skincare", 12.50, 10, (1, 2)),
    ("Daily Moisturiser SPF30", "SKN-005", "Skincare", 21.00, 8, (1, 1)),
    ("Retinol Night Cream", "SKN-006", "Skincare", 32.00, 5, (1, 1)),
    ("Micellar Cleansing Water 400ml", "SKN-007", "Skincare", 9.95, 7, (1, 2)),
    ("Velvet Matte Lipstick", "MKP-101", "Makeup", 16.00, 7, (1, 2)),
    ("Lengthening Mascara", "MKP-102", "Makeup", 14.50, 7, (1, 1)),
    ("Luminous Foundation", "MKP-103", "Makeup", 26.00, 5, (1, 1)),
    ("Cream Blush Stick", "MKP-104", "Makeup", 15.00, 4, (1, 1)),
    ("Brow Pencil", "MKP-105", "Makeup", 9.50, 4, (1, 2)),
    ("Eyeshadow Palette - Nudes", "MKP-106", "Makeup", 29.00, 3, (1, 1)),
    ("Argan Oil Shampoo", "HAI-201", "Haircare", 11.00, 5, (1, 2)),
    ("Repair Conditioner", "HAI-202", "Haircare", 11.00, 4, (1, 2)),
    ("Heat Protect Spray", "HAI-203", "Haircare", 13.50, 3, (1, 1)),
    ("Overnight Hair Mask", "HAI-204", "Haircare", 17.00, 2, (1, 1)),
    ("Eau de Parfum - Wild Fig 50ml", "FRG-301", "Fragrance", 58.00, 3, (1, 1)),
    ("Eau de Toilette - Citrus Bloom 100ml", "FRG-302", "Fragrance", 45.00, 2, (1, 1)),
    ("Rollerball - Amber Oud 10ml", "FRG-303", "Fragrance", 19.00, 3, (1, 1)),
    ("Shea Body Butter", "BAB-401", "Bath & Body", 14.00, 5, (1, 2)),
    ("Sea Salt Body Scrub", "BAB-402", "Bath & Body", 16.50, 3, (1, 1)),
    ("Lavender Bath Oil", "BAB-403", "Bath & Body", 13.00, 3, (1, 1)),
    ("Luxury Pamper Gift Set", "BAB-404", "Bath & Body", 61.70, 1, (1, 1)),
    ("Jade Facial Roller", "TLS-501", "Tools", 19.99, 3, (1, 1)),
    ("Silk Pillowcase", "TLS-502", "Tools", 39.00, 1, (1, 1)),
    ("Makeup Brush Set", "TLS-503", "Tools", 34.00, 2, (1, 1)),
    ("Microfibre Hair Towel", "TLS-504", "Tools", 12.99, 2, (1, 1)),
]
CATEGORIES = ["Skincare", "Makeup", "Haircare", "Fragrance", "Bath & Body", "Tools"]
MESSY = {"Skincare": ["skincare", "Skin Care", "SKINCARE"], "Makeup": ["Make-up", "MAKEUP", "makeup"],
         "Bath & Body": ["Bath and Body", "bath & body"]}

COUNTRIES = [("GB", 0.78), ("IE", 0.10), ("FR", 0.04), ("DE", 0.03), ("NL", 0.02), ("US", 0.03)]
CITIES = {
    "GB": [("London", 30), ("Manchester", 9), ("Birmingham", 8), ("Leeds", 6), ("Glasgow", 6), ("Edinburgh", 6),
           ("Bristol", 6), ("Liverpool", 5), ("Cardiff", 4), ("Brighton", 4), ("Nottingham", 3), ("Oxford", 2)],
    "IE": [("Dublin", 7), ("Cork", 2), ("Galway", 1)],
    "FR": [("Paris", 3), ("Lyon", 1)],
    "DE": [("Berlin", 2), ("Munich", 1)],
    "NL": [("Amsterdam", 2), ("Rotterdam", 1)],
    "US": [("New York", 2), ("Los Angeles", 1)],
}
FIRST = ["Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Freya", "Grace", "Sophie", "Emily", "Ella",
         "Poppy", "Chloe", "Jessica", "Hannah", "Lucy", "Charlotte", "Aoife", "Niamh", "Saoirse", "Zara", "Priya",
         "Aisha", "Hollie", "Megan", "Ruby", "Evie", "Daisy", "Leah", "James", "Oliver", "Harry", "Jack", "Tom",
         "Ciara", "Camille", "Léa", "Hanna", "Sanne"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
        "Murphy", "O'Brien", "Kelly", "Byrne", "Khan", "Hughes", "Edwards", "Lewis", "Martin", "Dubois", "Müller"]
DOMAINS = ["gmail.com", "hotmail.co.uk", "outlook.com", "yahoo.co.uk", "icloud.com", "btinternet.com"]
PAYMENTS = [("Credit Card (Stripe)", 0.50), ("PayPal", 0.25), ("Klarna", 0.12), ("Apple Pay", 0.13)]
NOTES = ["Please gift wrap", "Leave with neighbour at no. 12 if out", "Birthday present - no receipt please",
         "Could you add a few samples?", "Please don't bend the box", "Deliver to the back door", "Thank you!"]


def _money(x: float) -> str:
    return f"£{x:,.2f}"


def _season(d: date) -> float:
    return {11: 1.5, 12: 1.6, 1: 0.8, 2: 0.9}.get(d.month, 1.0)


def _customers(rng: np.random.Generator) -> pd.DataFrame:
    n = N_CUSTOMERS
    guest = rng.random(n) < 0.15
    uid = np.zeros(n, dtype=int)
    uid[~guest] = np.sort(rng.choice(np.arange(2, 9000), size=(~guest).sum(), replace=False))
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    codes = [c for c, _ in COUNTRIES]
    country = rng.choice(codes, n, p=[p for _, p in COUNTRIES])
    city = []
    for c in country:
        names, w = zip(*CITIES[c])
        w = np.array(w, float)
        city.append(names[rng.choice(len(names), p=w / w.sum())])
    email = [f"{f.lower().replace('é', 'e')}.{l.lower().replace(chr(39), '').replace('ü', 'u')}{i}@{rng.choice(DOMAINS)}"
             for i, (f, l) in enumerate(zip(first, last))]
    phone = [("+44 7" if c == "GB" else "+353 8" if c == "IE" else "+33 6" if c == "FR" else "+49 15"
              if c == "DE" else "+31 6" if c == "NL" else "+1 212 ") + f"{rng.integers(100, 999)} {rng.integers(100000, 999999)}"
             for c in country]
    # acquisition grows slowly over the two years; a per-customer purchase rhythm and a lifetime
    span = (END - START).days
    acq = (rng.random(n) ** 0.95 * span).astype(int)
    mean_gap = rng.gamma(2.0, 62.0, n) * np.where(guest, 1.8, 1.0)   # days between orders
    life = rng.exponential(420.0, n) * np.where(guest, 0.5, 1.0)
    taste = rng.dirichlet(np.ones(len(CATEGORIES)) * 0.8, n)
    late_register = (~guest) & (rng.random(n) < 0.03)
    return pd.DataFrame({"uid": uid, "guest": guest, "first": first, "last": last, "email": email, "phone": phone,
                         "country": country, "city": city, "acq": acq, "gap": mean_gap, "life": life,
                         "taste": list(taste), "late_register": late_register})


def build(seed: int = 20251214) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cust = _customers(rng)
    span = (END - START).days
    cat_idx = {c: [i for i, p in enumerate(CATALOG) if p[2] == c] for c in CATEGORIES}
    base_w = np.array([p[4] for p in CATALOG], float)
    # each customer's orders: a thinned Poisson process from acquisition to the end of their lifetime
    orders = []
    for c in cust.itertuples():
        t, k = float(c.acq), 0
        stop = min(span, c.acq + c.life)
        while t <= stop:
            d = START + timedelta(days=int(t))
            if k == 0 or rng.random() < _season(d) / 1.6:
                orders.append((c.Index, d, k))
                k += 1
            t += rng.exponential(c.gap)
    # a few completed orders on the last day, so the as-of date is unambiguous
    for ci in rng.choice(len(cust), 4, replace=False):
        orders.append((int(ci), END, 99))
    odf = pd.DataFrame(orders, columns=["ci", "day", "k"])
    odf["minute"] = rng.integers(7 * 60, 24 * 60, len(odf))
    odf = odf.sort_values(["day", "minute", "ci"]).reset_index(drop=True)
    odf["number"] = 10001 + np.arange(len(odf))
    recent = odf["day"].map(lambda d: (END - d).days <= 4).to_numpy()
    st_old = (["Completed", "Processing", "On hold", "Refunded", "Cancelled", "Failed"],
              [0.865, 0.015, 0.01, 0.05, 0.04, 0.02])
    st_new = (["Completed", "Processing", "On hold", "Failed"], [0.35, 0.57, 0.04, 0.04])
    status = np.where(recent, rng.choice(st_new[0], len(odf), p=st_new[1]), rng.choice(st_old[0], len(odf), p=st_old[1]))
    status[odf["k"].to_numpy() == 99] = "Completed"
    odf["status"] = status
    odf["payment"] = rng.choice([p for p, _ in PAYMENTS], len(odf), p=[w for _, w in PAYMENTS])

    rows = []
    first_seen: set[int] = set()
    cat_of = np.array([CATEGORIES.index(p[2]) for p in CATALOG])
    recs = cust.to_dict("records")
    for o in odf.itertuples():
        c = recs[o.ci]
        is_first = o.ci not in first_seen
        first_seen.add(o.ci)
        uid = 0 if (c["guest"] or (c["late_register"] and is_first)) else int(c["uid"])
        n_lines = min(6, 1 + rng.poisson(1.0))
        w = base_w * (c["taste"][cat_of] * 3 + 0.25)
        picks = rng.choice(len(CATALOG), size=n_lines, replace=False, p=w / w.sum())
        items = []
        for pi in picks:
            name, sku, cat, price, _, (lo, hi) = CATALOG[pi]
            q = int(rng.integers(lo, hi + 1))
            if rng.random() < 0.12:
                q += 1
            items.append([name, sku, cat, price, q])
        subtotal = sum(p * q for *_, p, q in items)
        # coupon
        coupon = ""
        if is_first and uid and rng.random() < 0.3:
            coupon = "WELCOME10"
        elif o.day.month == 11 and o.day.day >= 20 and rng.random() < 0.45:
            coupon = "BLACKFRIDAY25"
        elif rng.random() < 0.10:
            coupon = rng.choice(["GLOW15", "FREESHIP"] + (["SPRING20"] if o.day.month in (3, 4, 5) else []))
        disc = {"WELCOME10": 0.10, "BLACKFRIDAY25": 0.25, "GLOW15": 0.15, "SPRING20": 0.20}.get(coupon, 0.0)
        if c["country"] != "GB":
            ship_title, ship = "International Shipping", 9.95
        elif subtotal >= 40:
            ship_title, ship = "Free shipping", 0.0
        else:
            r = rng.random()
            ship_title, ship = (("Royal Mail Tracked 48", 3.95) if r < 0.7 else ("Royal Mail Tracked 24", 4.95)
                                if r < 0.9 else ("DPD Next Day", 6.95))
        if coupon == "FREESHIP":
            ship = 0.0
        total = round(subtotal * (1 - disc) + ship, 2)
        note = rng.choice(NOTES) if rng.random() < 0.04 else ""
        when = datetime(o.day.year, o.day.month, o.day.day, o.minute // 60, o.minute % 60)
        for name, sku, cat, price, q in items:
            rows.append({
                "Order Number": int(o.number), "Order Date": when.strftime("%d/%m/%Y %H:%M"),
                "Order Status": o.status, "Customer User ID": uid,
                "Billing First Name": c["first"], "Billing Last Name": c["last"], "Billing Email": c["email"],
                "Billing Phone": c["phone"], "Billing City": c["city"], "Billing Country": c["country"],
                "Payment Method Title": o.payment, "Shipping Method Title": ship_title, "Coupon Code": coupon,
                "Item Name": name, "Item SKU": sku, "Category": cat, "Quantity": str(q),
                "Item Cost": _money(price), "Line Total": _money(round(price * q, 2)), "Order Total": _money(total),
                "Order Shipping": _money(ship), "Customer Note": note,
            })
    df = pd.DataFrame(rows)
    # messy category spellings on a few lines
    for canon, spellings in MESSY.items():
        idx = df.index[df["Category"] == canon]
        pick = rng.choice(idx, size=max(3, len(idx) // 60), replace=False)
        df.loc[pick, "Category"] = rng.choice(spellings, size=len(pick))
    # a few blank quantities on one-unit lines of completed orders (the Line Total is one unit's cost)
    one = df.index[(df["Quantity"] == "1") & (df["Order Status"] == "Completed")]
    df.loc[rng.choice(one, 6, replace=False), "Quantity"] = ""
    # a corporate gift order in June 2025: 20 × £61.70 = £1,234.00 on one line
    gift = df.index[(df["Order Status"] == "Completed") & df["Order Date"].str.contains("/06/2025")
                    & (df["Billing Country"] == "GB")][0]
    order = df.loc[gift, "Order Number"]
    df.loc[gift, ["Item Name", "Item SKU", "Category", "Quantity", "Item Cost", "Line Total"]] = \
        ["Luxury Pamper Gift Set", "BAB-404", "Bath & Body", "20", "£61.70", "£1,234.00"]
    mask = df["Order Number"] == order
    lt = df.loc[mask, "Line Total"].str.replace("[£,]", "", regex=True).astype(float).sum()
    ship = float(df.loc[gift, "Order Shipping"].replace("£", "").replace(",", ""))
    coupon = df.loc[gift, "Coupon Code"]
    disc = {"WELCOME10": 0.10, "BLACKFRIDAY25": 0.25, "GLOW15": 0.15, "SPRING20": 0.20}.get(coupon, 0.0)
    df.loc[mask, ["Shipping Method Title", "Order Shipping"]] = ["Free shipping", "£0.00"] if coupon != "FREESHIP" \
        else [df.loc[gift, "Shipping Method Title"], "£0.00"]
    df.loc[mask, "Order Total"] = _money(round(lt * (1 - disc), 2))
    del ship
    return df.iloc[::-1].reset_index(drop=True)  # newest order first, as the export lists them


def write_shop(directory: str | Path, seed: int = 20251214) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    build(seed).to_csv(path, index=False, encoding="utf-8")
    return path


if __name__ == "__main__":
    out = write_shop(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(out)
