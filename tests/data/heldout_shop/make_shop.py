"""A held-out shop export nobody tuned the planner on: a German fashion & home retailer's order lines.

Deterministic for a seed (numpy). Run `python -m tests.data.heldout_shop.make_shop DIR` or call
`write_shop(DIR)`; it writes DIR/haus_und_mode_orders.csv and returns its path.

The file is what a European shop system exports, not what Tierwise's demo looks like:
- semicolon-separated, UTF-8 with a byte-order mark (Excel's "CSV UTF-8"), headers in title case;
- "Order Date" is dd/mm/yyyy; "Line Total (€)" uses a decimal comma, a dot for thousands and a
  trailing euro sign ("1.234,50 €");
- one line per SKU of an order; "Order No" is shared by the lines of one order; the order's
  "Payment Type", "Delivery Method", "Gift Wrap" (Y/N), "Promo Code" and "Order State" are the same
  on each of its lines; "Review Stars" (1-5) is per line and blank when not reviewed (always blank
  on orders that did not complete);
- "Store Region", "Member Tier" (Bronze/Silver/Gold), "Client Age" (blank for a few clients) and
  "Referral Source" are constant per client;
- "Order State" is Delivered, Shipped (recent orders), Cancelled, Refunded or Returned;
- messy columns: "Referral Source" spelled in several cases/spacings ("Instagram", "instagram",
  "Google Ads", "google ads ", ...) or blank; "Promo Code" mostly blank, codes in mixed case.

About 600 clients and 18 months (1 Mar 2023 - 31 Aug 2024).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

FILE_NAME = "haus_und_mode_orders.csv"
START = date(2023, 3, 1)
END = date(2024, 8, 31)
N_CLIENTS = 600

HEADER = ["Order No", "Client ID", "Order Date", "SKU Name", "Department", "Units", "Line Total (€)",
          "Payment Type", "Delivery Method", "Store Region", "Member Tier", "Client Age", "Review Stars",
          "Order State", "Gift Wrap", "Promo Code", "Referral Source"]

# SKU -> (department, list price in €)
SKUS = {
    "Linen Midi Dress": ("Womenswear", 89.0), "Silk Blouse": ("Womenswear", 69.0),
    "Wool Wrap Coat": ("Womenswear", 289.0), "High-Rise Jeans": ("Womenswear", 79.0),
    "Oxford Shirt": ("Menswear", 49.0), "Chino Trousers": ("Menswear", 59.0),
    "Merino Crew Jumper": ("Menswear", 99.0), "Quilted Jacket": ("Menswear", 179.0),
    "Cotton Throw": ("Home & Living", 45.0), "Ceramic Vase": ("Home & Living", 35.0),
    "Linen Duvet Cover": ("Home & Living", 129.0), "Scented Candle": ("Home & Living", 19.0),
    "Kids Rain Boots": ("Kids", 29.0), "Dino Pyjamas": ("Kids", 24.0), "Knit Beanie": ("Kids", 15.0),
    "Leather Tote": ("Accessories", 159.0), "Silk Scarf": ("Accessories", 39.0),
    "Canvas Belt": ("Accessories", 25.0), "Sunglasses": ("Accessories", 59.0),
}
DEPARTMENTS = ["Womenswear", "Menswear", "Home & Living", "Kids", "Accessories"]
REGIONS = (["Bavaria", "Berlin", "Hamburg", "Hesse", "Saxony"], [0.30, 0.22, 0.18, 0.17, 0.13])
TIERS = (["Bronze", "Silver", "Gold"], [0.55, 0.30, 0.15])
TIER_GAP = {"Bronze": 120.0, "Silver": 75.0, "Gold": 45.0}  # mean days between orders
DROPOUT = 0.12  # chance a client stops after each order
PAYMENTS = (["Card", "PayPal", "Klarna", "Apple Pay", "Invoice"], [0.38, 0.27, 0.15, 0.12, 0.08])
DELIVERY = (["Home Delivery", "Click & Collect", "Express", "Parcel Locker"], [0.52, 0.20, 0.15, 0.13])
# how reviews lean per delivery method (added to a base of 4 stars before noise)
DELIVERY_STARS = {"Home Delivery": 0.0, "Click & Collect": 0.25, "Express": 0.35, "Parcel Locker": -0.45}
STATES = (["Delivered", "Cancelled", "Refunded", "Returned"], [0.86, 0.06, 0.03, 0.05])
REFERRALS = (["Instagram", "instagram", "INSTAGRAM", "Google Ads", "google ads ", "Google  Ads",
              "Friend", "friend", "Newsletter", ""], [0.18, 0.07, 0.03, 0.17, 0.05, 0.02, 0.12, 0.04, 0.17, 0.15])
PROMOS = (["", "SPRING15", "spring15", "Spring15 ", "WELCOME10", "welcome10"],
          [0.80, 0.06, 0.03, 0.01, 0.07, 0.03])
PROMO_DISCOUNT = {"spring15": 0.15, "welcome10": 0.10}


def _pick(rng: np.random.Generator, spec, size=None):
    values, p = spec
    idx = rng.choice(len(values), p=np.asarray(p) / np.sum(p), size=size)
    return values[idx] if size is None else [values[i] for i in idx]


def euro(value: float) -> str:
    """1234.5 -> '1.234,50 €' (German formatting)."""
    text = f"{value:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def rows(seed: int = 2024) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    span = (END - START).days
    skus = list(SKUS)
    out: list[tuple[date, list[str]]] = []
    for c in range(N_CLIENTS):
        cid = f"CL-{10007 + 13 * c:05d}"
        region = _pick(rng, REGIONS)
        tier = _pick(rng, TIERS)
        age = "" if rng.random() < 0.03 else str(int(np.clip(rng.normal(39, 12), 18, 79)))
        referral = _pick(rng, REFERRALS)
        # department taste: a Dirichlet over departments
        taste = rng.dirichlet(np.full(len(DEPARTMENTS), 0.8))
        sku_p = np.array([taste[DEPARTMENTS.index(SKUS[s][0])] for s in skus])
        sku_p = sku_p / sku_p.sum()
        # acquisition: more clients later (the shop is growing); then a Poisson process with dropout
        first = int(span * rng.beta(1.2, 1.0))
        gap = TIER_GAP[tier] * float(rng.lognormal(0, 0.4))
        days = [first]
        while rng.random() > DROPOUT:
            nxt = days[-1] + int(rng.exponential(gap)) + 1
            if nxt > span:
                break
            days.append(nxt)
        if rng.random() < 0.05 and len(days) > 1:  # two orders on one day now and then
            days.insert(1, days[0])
        for d in days:
            day = START + timedelta(days=d)
            order_no = None  # numbered after sorting by date
            pay = _pick(rng, PAYMENTS)
            ship = _pick(rng, DELIVERY)
            gift = "Y" if rng.random() < 0.12 else "N"
            promo = _pick(rng, PROMOS)
            state = _pick(rng, STATES)
            if state == "Delivered" and (END - day).days < 6 and rng.random() < 0.8:
                state = "Shipped"
            discount = PROMO_DISCOUNT.get(promo.strip().lower(), 0.0)
            n_lines = 1 + int(rng.choice(4, p=[0.45, 0.30, 0.15, 0.10]))
            chosen = rng.choice(len(skus), size=n_lines, replace=False, p=sku_p)
            lines = []
            for s in chosen:
                sku = skus[int(s)]
                dept, price = SKUS[sku]
                units = 1 + int(rng.choice(3, p=[0.75, 0.20, 0.05]))
                total = round(price * units * float(rng.uniform(0.9, 1.05)) * (1 - discount), 2)
                stars = ""
                if state == "Delivered" and rng.random() < 0.55:
                    stars = str(int(np.clip(round(4 + DELIVERY_STARS[ship] + rng.normal(0, 0.9)), 1, 5)))
                lines.append([order_no, cid, day.strftime("%d/%m/%Y"), sku, dept, str(units), euro(total), pay,
                              ship, region, tier, age, stars, state, gift, promo, referral])
            out.append((day, lines))
    out.sort(key=lambda item: (item[0], item[1][0][1]))
    flat = []
    for n, (_, lines) in enumerate(out):
        for line in lines:
            line[0] = f"HM-{240001 + n}"
            flat.append(line)
    return flat


def write_shop(directory: str | Path, seed: int = 2024) -> Path:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    lines = [";".join(HEADER)] + [";".join(row) for row in rows(seed)]
    path.write_text("\ufeff" + "\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


if __name__ == "__main__":
    target = write_shop(sys.argv[1] if len(sys.argv) > 1 else ".")
    print(f"wrote {target}")
