"""A Square point-of-sale "Item Details" export of a small Canadian chain of coffee shops & bakeries.

Maple & Crumb has three shops in Vancouver (Square locations "Kitsilano", "Main Street", "Gastown") and sells in
CAD. `write_shop(dir)` writes `items-2024-05-20-2026-05-18.csv`, deterministic (seed 20260517), as Square's
Item Details export gives it:

- one row per item line; Date (2025-03-05) and Time (14:22:07) in separate columns, a Time Zone column, newest
  first;
- a ticket is a "Transaction ID" (and its "Payment ID"), usually of 1-4 lines; "Gross Sales" is the line's
  quantity × (price + modifiers), "Discounts" is negative or zero ("-CA$1.50", "CA$0.00"), "Net Sales" = gross +
  discounts, "Tax" is GST 5% on net sales (bread and coffee beans are zero-rated); money is written "CA$4.75",
  thousands with a comma ("CA$1,140.00");
- "Event Type" is Payment or Refund. A refund is a whole ticket given back a few minutes after it was paid, on
  the same day: one Refund row per line, with the same Transaction ID / Payment ID, negative Qty, Gross Sales,
  Net Sales and Tax, and the discount reversed (positive);
- "Location" (3 shops), "Dining Option" (For Here / To Go / Delivery; delivery tickets come through the
  "DoorDash" channel), "Price Point Name" (Small / Medium / Large for drinks, Regular otherwise), "Modifiers
  Applied" ("Oat Milk, Extra Shot"), "Employee", "Device Name", "Itemization Type", "Commission", "Token" (one
  per line) and a "Details" link;
- about 2,500 identified customers ("Customer ID" like Square's 26-character ids, "Customer Name", a
  "Customer Reference ID" loyalty number for some) and many anonymous walk-in sales whose customer columns are
  blank; a few businesses order catering boxes;
- a few "Custom Amount" lines with no category.
"""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20260517
START = date(2024, 5, 20)
END = date(2026, 5, 17)  # the last day of the export (a Sunday)
FILE_NAME = "items-2024-05-20-2026-05-18.csv"
TIME_ZONE = "Pacific Time (US & Canada)"
N_PEOPLE = 2494
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

COLUMNS = ["Date", "Time", "Time Zone", "Category", "Item", "Qty", "Price Point Name", "SKU", "Modifiers Applied",
           "Gross Sales", "Discounts", "Net Sales", "Tax", "Transaction ID", "Payment ID", "Device Name", "Notes",
           "Details", "Event Type", "Location", "Dining Option", "Customer ID", "Customer Name",
           "Customer Reference ID", "Unit", "Count", "GTIN", "Itemization Type", "Commission", "Employee",
           "Fulfillment Note", "Channel", "Token"]

LOCATIONS = ["Kitsilano", "Main Street", "Gastown"]
LOCATION_WEIGHTS = [0.42, 0.33, 0.25]
DEVICES = {"Kitsilano": ["Kits Front Counter", "Kits Bakery iPad"], "Main Street": ["Main St Register"],
           "Gastown": ["Gastown Counter", "Gastown Window"]}
EMPLOYEES = {"Kitsilano": ["Priya Natarajan", "Liam O'Connor", "Sofia Marques", "Ethan Wong"],
             "Main Street": ["Maya Dubois", "Jordan Lee", "Aiden Kowalski"],
             "Gastown": ["Chloe Tremblay", "Noah Singh", "Ava Fraser"]}

# category -> [(item, sku stem, {price point: price}, itemization type)]
SIZES = ("Small", "Medium", "Large")
MENU = {
    "Espresso Drinks": [
        ("Latte", "ESP-LAT", dict(zip(SIZES, (4.75, 5.35, 5.95)))),
        ("Cappuccino", "ESP-CAP", dict(zip(SIZES, (4.50, 5.10, 5.70)))),
        ("Americano", "ESP-AME", dict(zip(SIZES, (3.50, 3.95, 4.40)))),
        ("Flat White", "ESP-FW", {"Regular": 5.00}),
        ("Mocha", "ESP-MOC", dict(zip(SIZES, (5.25, 5.85, 6.45)))),
        ("Espresso", "ESP-ESP", {"Regular": 3.25}),
    ],
    "Brewed Coffee": [
        ("Drip Coffee", "BRW-DRP", dict(zip(SIZES, (2.75, 3.15, 3.55)))),
        ("Cold Brew", "BRW-CB", dict(zip(SIZES, (4.25, 4.85, 5.45)))),
    ],
    "Tea": [
        ("London Fog", "TEA-LF", dict(zip(SIZES, (4.50, 5.00, 5.50)))),
        ("Chai Latte", "TEA-CHA", dict(zip(SIZES, (4.75, 5.25, 5.75)))),
        ("Matcha Latte", "TEA-MAT", dict(zip(SIZES, (5.25, 5.75, 6.25)))),
    ],
    "Pastries": [
        ("Butter Croissant", "PAS-CRO", {"Regular": 3.75}),
        ("Almond Croissant", "PAS-ALM", {"Regular": 4.95}),
        ("Pain au Chocolat", "PAS-PAC", {"Regular": 4.25}),
        ("Blueberry Muffin", "PAS-MUF", {"Regular": 3.95}),
        ("Cinnamon Bun", "PAS-CIN", {"Regular": 4.75}),
        ("Cheddar Scone", "PAS-SCO", {"Regular": 4.25}),
    ],
    "Bread": [
        ("Country Sourdough", "BRD-SOU", {"Regular": 9.50}),
        ("Baguette", "BRD-BAG", {"Regular": 4.50}),
        ("Seeded Rye", "BRD-RYE", {"Regular": 10.00}),
    ],
    "Sandwiches": [
        ("Ham & Gruyère Croissant", "SAN-HGC", {"Regular": 9.25}),
        ("Turkey Pesto Sandwich", "SAN-TUR", {"Regular": 11.50}),
        ("Roasted Veggie Wrap", "SAN-VEG", {"Regular": 10.25}),
    ],
    "Coffee Beans": [
        ("House Blend 340g", "BNS-HOU", {"Regular": 18.00}),
        ("Ethiopia Yirgacheffe 340g", "BNS-ETH", {"Regular": 22.00}),
        ("Swiss Water Decaf 340g", "BNS-DEC", {"Regular": 19.50}),
    ],
    "Merchandise": [
        ("Maple & Crumb Travel Mug", "MER-MUG", {"Regular": 28.00}),
        ("Canvas Tote", "MER-TOT", {"Regular": 15.00}),
    ],
    "Catering": [
        ("Pastry Catering Box", "CAT-PAS", {"Regular": 65.00}),
        ("Sandwich Catering Box", "CAT-SAN", {"Regular": 95.00}),
        ("Coffee Traveler 96oz", "CAT-TRV", {"Regular": 32.00}),
    ],
}
CATEGORY_WEIGHTS = {"Espresso Drinks": 0.34, "Brewed Coffee": 0.17, "Tea": 0.09, "Pastries": 0.22, "Bread": 0.06,
                    "Sandwiches": 0.07, "Coffee Beans": 0.035, "Merchandise": 0.015}
ITEM_WEIGHTS = {"Espresso Drinks": [0.34, 0.2, 0.18, 0.12, 0.1, 0.06], "Brewed Coffee": [0.8, 0.2]}
DRINKS = ("Espresso Drinks", "Brewed Coffee", "Tea")
ZERO_RATED = ("Bread", "Coffee Beans")
MODIFIERS = [("Oat Milk", 0.70), ("Extra Shot", 1.00), ("Vanilla Syrup", 0.60)]
BUSINESSES = ["Harbourview Dental", "Northshore Design Studio", "Kits Yoga Collective", "Gastown Law LLP",
              "Seawall Physio", "Brightside Realty"]
FIRST = ["Emma", "Olivia", "Noah", "Liam", "Ava", "Sophia", "Lucas", "Mia", "Ethan", "Chloe", "Benjamin", "Zoe",
         "Hannah", "Jacob", "Grace", "Ryan", "Sarah", "Daniel", "Leah", "Owen", "Isabelle", "Nathan", "Jasmine",
         "Kevin", "Wei", "Jun", "Mei", "Hiroshi", "Yuki", "Arjun", "Priya", "Harpreet", "Amir", "Fatima", "Diego",
         "Camila", "Mateo", "Aaliyah", "Marcus", "Elena", "Tom", "Anna", "Sam", "Julia", "Max", "Nora", "Eli",
         "Claire", "Simon", "Rachel"]
LAST = ["Smith", "Brown", "Tremblay", "Martin", "Roy", "Wilson", "MacDonald", "Gagnon", "Johnson", "Taylor",
        "Campbell", "Anderson", "Lee", "Chen", "Wong", "Li", "Zhang", "Liu", "Nguyen", "Kim", "Park", "Singh",
        "Gill", "Sandhu", "Patel", "Sharma", "Thompson", "White", "Harris", "Clarke", "Young", "King", "Wright",
        "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Murphy", "Kelly", "Fraser", "Reid", "Ross",
        "Stewart", "Morrison", "Hughes", "Bergeron", "Côté", "Ouellet"]
REFUND_NOTES = ["Wrong order", "Customer changed mind", "Drink remade - refunded", "Duplicate charge",
                "Item unavailable"]
TICKET_NOTES = ["", "", "", "", "", "", "", "", "extra hot", "for Sam", "birthday candle please", "no lid",
                "pickup 8:15", "light ice"]


def money(v: float) -> str:
    v = round(v + 0.0, 2)
    return ("-" if v < 0 else "") + f"CA${abs(v):,.2f}"


class _Ids:
    def __init__(self, rng: np.random.RandomState):
        self.rng, self.seen = rng, set()

    def make(self, n: int, alphabet: str) -> str:
        while True:
            s = "".join(alphabet[i] for i in self.rng.randint(0, len(alphabet), n))
            if s not in self.seen:
                self.seen.add(s)
                return s


def _weekday_factor(d: date) -> float:
    return (0.85, 0.85, 0.88, 0.9, 1.1, 1.6, 1.3)[d.weekday()]


def _trend(d: date) -> float:
    return 0.8 + 0.45 * (d - START).days / (END - START).days


def _time(rng) -> str:
    # open 06:30-18:00, busiest in the morning
    minutes = int(np.clip(rng.normal(9.6 * 60, 2.6 * 60), 6.5 * 60, 17.98 * 60))
    return f"{minutes // 60:02d}:{minutes % 60:02d}:{rng.randint(60):02d}"


def _people(rng, ids: _Ids) -> list[dict]:
    people = []
    span = (END - START).days
    for i in range(N_PEOPLE + len(BUSINESSES)):
        business = i >= N_PEOPLE
        # first visits spread over the two years, more of them recently (the shop grows)
        first = START + timedelta(days=int(span * rng.beta(1.25, 1.0)))
        kind = rng.choice(["once", "occasional", "regular"], p=[0.48, 0.40, 0.12])
        gap = {"once": 60, "occasional": 60, "regular": 16}[kind] * rng.lognormal(0, 0.35)
        stop = {"once": 0.92, "occasional": 0.35, "regular": 0.07}[kind]
        if business:
            first = START + timedelta(days=int(rng.randint(0, 200)))
            gap, stop = float(rng.choice([21, 28, 35, 45, 60])), 0.0
        name = BUSINESSES[i - N_PEOPLE] if business else f"{FIRST[rng.randint(len(FIRST))]} {LAST[rng.randint(len(LAST))]}"
        people.append({
            "id": ids.make(26, ALPHABET), "name": name, "business": business,
            "ref": (f"MC{rng.randint(100000, 999999)}" if rng.rand() < 0.35 else ""),
            "home": LOCATIONS[rng.choice(3, p=LOCATION_WEIGHTS)], "first": first, "gap": gap, "stop": stop,
        })
    return people


def _visits(rng, person) -> list[date]:
    days, d = [], person["first"]
    while d <= END:
        days.append(d)
        if rng.rand() < person["stop"]:
            break
        step = max(1, int(round(rng.exponential(person["gap"]))))
        d = d + timedelta(days=step)
        # weekends pull visits a little
        if d.weekday() == 4 and rng.rand() < 0.25:
            d = d + timedelta(days=1)
    return days


def _line(rng, category: str) -> dict:
    items = MENU[category]
    weights = ITEM_WEIGHTS.get(category)
    item, sku, points = items[rng.choice(len(items), p=weights) if weights else rng.randint(len(items))]
    if len(points) == 3:
        point = SIZES[rng.choice(3, p=[0.3, 0.5, 0.2])]
    else:
        point = "Regular"
    price = points[point]
    mods = []
    if category in DRINKS and item not in ("Drip Coffee", "Espresso"):
        for mod, add in MODIFIERS:
            if rng.rand() < {"Oat Milk": 0.3, "Extra Shot": 0.1, "Vanilla Syrup": 0.08}[mod]:
                mods.append((mod, add))
    qty = 1
    r = rng.rand()
    if category == "Pastries":
        qty = 1 if r < 0.7 else (2 if r < 0.88 else int(rng.choice([3, 4, 6])))
    elif category == "Catering":
        qty = int(rng.randint(1, 7)) if r < 0.94 else int(rng.randint(8, 13))  # an office party
    elif r < 0.1:
        qty = 2
    elif r < 0.12:
        qty = 3
    unit_price = price + sum(a for _, a in mods)
    return {"category": category, "item": item, "point": point,
            "sku": f"{sku}-{point[0]}" if point != "Regular" else sku, "mods": ", ".join(m for m, _ in mods),
            "qty": qty, "unit": unit_price, "gross": round(qty * unit_price, 2), "discount": 0.0, "discount_name": ""}


def _ticket(rng, when: date, person: dict | None) -> dict:
    business = bool(person and person["business"])
    if business:
        location = person["home"]
        lines = [_line(rng, "Catering")]
        if rng.rand() < 0.4:
            lines.append(_line(rng, "Catering"))
    else:
        location = person["home"] if person and rng.rand() < 0.85 else LOCATIONS[rng.choice(3, p=LOCATION_WEIGHTS)]
        n = int(rng.choice([1, 2, 3, 4], p=[0.5, 0.3, 0.14, 0.06]))
        cats = list(CATEGORY_WEIGHTS)
        p = np.array([CATEGORY_WEIGHTS[c] for c in cats])
        lines = [_line(rng, cats[rng.choice(len(cats), p=p / p.sum())]) for _ in range(n)]
        if rng.rand() < 0.012:  # a custom amount keyed at the till
            lines.append({"category": "", "item": "Custom Amount", "point": "", "sku": "", "mods": "", "qty": 1,
                          "unit": 0.0, "gross": float(rng.choice([2.0, 3.5, 5.0, 12.0])), "discount": 0.0,
                          "discount_name": ""})
    t = _time(rng)
    dining = "Delivery" if business else str(rng.choice(["For Here", "To Go", "Delivery"], p=[0.4, 0.5, 0.1]))
    if dining == "Delivery" and not business:
        channel = "DoorDash"
    elif dining == "To Go" and rng.rand() < 0.15:
        channel = "Square Online"
    else:
        channel = "Square Point of Sale"
    staff = person is None and rng.rand() < 0.03
    for ln in lines:
        if staff:
            ln["discount"] = -round(ln["gross"] * 0.5, 2)
        elif person and not business and ln["category"] in DRINKS and rng.rand() < 0.07:
            ln["discount"] = -round(ln["unit"], 2)  # loyalty reward: one free drink
        elif ln["category"] == "Bread" and t >= "16:00" and rng.rand() < 0.8:
            ln["discount"] = -round(ln["gross"] * 0.3, 2)  # end-of-day bread
        elif business and rng.rand() < 0.25:
            ln["discount"] = -round(ln["gross"] * 0.1, 2)
    return {"date": when, "time": t, "location": location, "dining": dining, "channel": channel,
            "lines": lines, "person": person}


def _rows(rng, ids: _Ids, ticket: dict) -> list[dict]:
    tid, pid = ids.make(29, B62), ids.make(22, B62)
    loc = ticket["location"]
    device = DEVICES[loc][rng.randint(len(DEVICES[loc]))] if ticket["channel"] == "Square Point of Sale" else ""
    employee = EMPLOYEES[loc][rng.randint(len(EMPLOYEES[loc]))] if ticket["channel"] == "Square Point of Sale" else ""
    person = ticket["person"]
    note = TICKET_NOTES[rng.randint(len(TICKET_NOTES))]
    refunded = rng.rand() < 0.013
    out = []
    events = [("Payment", 1, ticket["time"], note)]
    if refunded:
        h, m, s = (int(x) for x in ticket["time"].split(":"))
        later = datetime(2000, 1, 1, h, m, s) + timedelta(minutes=int(rng.randint(2, 40)))
        events.append(("Refund", -1, later.strftime("%H:%M:%S"), REFUND_NOTES[rng.randint(len(REFUND_NOTES))]))
    for event, sign, t, text in events:
        for ln in ticket["lines"]:
            net = round(ln["gross"] + ln["discount"], 2)
            tax = 0.0 if ln["category"] in ZERO_RATED else round(net * 0.05, 2)
            out.append({
                "Date": ticket["date"].isoformat(), "Time": t, "Time Zone": TIME_ZONE, "Category": ln["category"],
                "Item": ln["item"], "Qty": str(sign * ln["qty"]), "Price Point Name": ln["point"], "SKU": ln["sku"],
                "Modifiers Applied": ln["mods"], "Gross Sales": money(sign * ln["gross"]),
                "Discounts": money(sign * ln["discount"]), "Net Sales": money(sign * net), "Tax": money(sign * tax),
                "Transaction ID": tid, "Payment ID": pid, "Device Name": device, "Notes": text,
                "Details": f"https://squareup.com/dashboard/sales/transactions/{tid}",
                "Event Type": event, "Location": loc, "Dining Option": ticket["dining"],
                "Customer ID": person["id"] if person else "", "Customer Name": person["name"] if person else "",
                "Customer Reference ID": person["ref"] if person else "",
                "Unit": "", "Count": str(sign * ln["qty"]), "GTIN": "",
                "Itemization Type": ("Custom Amount" if ln["item"] == "Custom Amount" else
                                     "Physical Item" if ln["category"] in ("Coffee Beans", "Merchandise")
                                     else "Food & Beverage"),
                "Commission": money(0.0), "Employee": employee,
                "Fulfillment Note": "Leave at reception" if ticket["dining"] == "Delivery" and person
                and person["business"] else "",
                "Channel": ticket["channel"], "Token": ids.make(24, B62),
            })
    return out


def write_shop(directory: str | Path) -> Path:
    """Write the export into `directory`; return its path."""
    rng = np.random.RandomState(SEED)
    ids = _Ids(rng)
    tickets = []
    for person in _people(rng, ids):
        for d in _visits(rng, person):
            tickets.append(_ticket(rng, d, person))
    # anonymous walk-ins, every day, more at weekends and as the shops grow
    d = START
    while d <= END:
        for _ in range(rng.poisson(6.0 * _weekday_factor(d) * _trend(d))):
            tickets.append(_ticket(rng, d, None))
        d += timedelta(days=1)
    rows = [r for t in tickets for r in _rows(rng, ids, t)]
    rows.sort(key=lambda r: (r["Date"], r["Time"], r["Transaction ID"]), reverse=True)  # newest first, as Square
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    return path


if __name__ == "__main__":
    import sys

    print(write_shop(sys.argv[1] if len(sys.argv) > 1 else "."))
