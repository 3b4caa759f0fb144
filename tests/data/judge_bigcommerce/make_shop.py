"""A BigCommerce "Export Orders" CSV (the Default export template) of a small Australian coffee roaster.

Bellbird Coffee Roasters is a specialty roaster in Marrickville, Sydney, selling beans, brewing gear and a home
barista workshop on a BigCommerce store (store currency AUD, prices shown GST-inclusive), to retail buyers (many
checking out as guests), coffee subscribers (a subscription app re-places their order every 2 or 4 weeks) and a few
Sydney cafés on a wholesale price list who pay by bank transfer. `write_shop(dir)` writes `orders-2026-05-31.csv`,
deterministic (seed 20260531), as Orders > Export > "Default" template > CSV gives it:

- ONE ROW PER ORDER, newest first, in the template's column order (COLUMNS): Order ID, Customer ID, Customer Name,
  Customer Email, Customer Phone, Order Date, Order Status, Subtotal (inc tax), Subtotal (ex tax), Tax Total,
  Shipping Cost (inc tax), Shipping Cost (ex tax), Ship Method, Handling Cost (inc tax), Handling Cost (ex tax),
  Store Credit Redeemed, Gift Certificate Amount Redeemed, Gift Certificate Code, Gift Certificate Expiration Date,
  Coupon Details, Order Total (inc tax), Order Total (ex tax), Payment Method, Total Quantity, Total Shipped, Date
  Shipped, Order Currency Code, Exchange Rate, Order Notes, Customer Message, the Billing and Shipping address
  blocks (First Name, Last Name, Company, Street 1, Street 2, Suburb, State, Zip, Country, "Suburb + State + Zip",
  Phone, Email), Combined Product Weight, Product Details, Refund Amount;
- the order's items are all in ONE field, "Product Details": items joined by "|", each "Product ID: 112, Product
  Qty: 2, Product SKU: BB-HOUSE-1KG-WB, Product Name: Bellbird House Blend, Product Weight: 1.0000, Product
  Variation Details: Size: 1kg, Grind: Whole Bean, Product Unit Price: 62.00, Product Total Price: 124.00" (the
  variation details hold commas and colons themselves, one product name holds a comma: "Hario V60 Paper Filters
  02, 100 Pack"); there is no category anywhere in the export;
- dates are "DD/MM/YYYY" (BigCommerce's default date format; 03/04/2026 is 3 April), the date only;
- money is plain numbers ("62.00", handling/store credit/gift certificate "0.0000", Exchange Rate
  "1.0000000000"); every order is in AUD (Order Currency Code);
- GST: prices include 10% GST; roasted coffee is GST-free food in Australia, so only gear, cups, the workshop and
  domestic shipping carry GST (1/11 of the inc-GST price); exports (NZ, US, UK, SG, CA) carry none. So "Subtotal
  (ex tax)" is not "Subtotal (inc tax)" / 1.1. Subtotals are before the coupon; Order Total (inc tax) = Subtotal
  (inc tax) - coupon discount + Shipping Cost (inc tax) + Handling; Order Total (ex tax) = Order Total (inc tax) -
  Tax Total. Gift certificates and store credit are tenders: they do not change the totals;
- "Coupon Details" is "Coupon ID: 3, Coupon Code: WELCOME10, Coupon Type: Percentage off order total, Coupon
  Value: 10, Coupon Discount: 6.20" (blank without a coupon): WELCOME10 (a first order), CUPPA5 ($5 off),
  EOFY20 (20%, the end of the financial year, 20-30 June), BLACKFRIDAY25 (25%, Black Friday weekends);
- "Customer ID" is the store account; GUEST checkouts have Customer ID 0 (about a third of the retail orders) and
  are known only by their e-mail, typed at checkout (sometimes in other case: "Sarah.Jones@Gmail.com"); some
  guests register later (their earlier orders keep Customer ID 0);
- Order Status: Shipped, Completed (picked up in store, the workshop, café deliveries), Awaiting Fulfillment and
  Awaiting Pickup (the last days), Awaiting Payment (recent bank-deposit orders not yet paid), Cancelled,
  Declined (payment declined), Refunded (Refund Amount = the order total), Partially Refunded (Refund Amount = an
  item's worth);
- ship methods: "Australia Post Parcel Post" ($9.95), "Free Shipping" (domestic orders of $80+ and
  subscriptions), "Australia Post Express Post" ($14.95), "Pickup In Store" (Sydney customers), "International
  Standard", "Local Courier (Sydney Metro)" (cafés), blank for a workshop-only order; payment methods: Credit Card,
  PayPal, Afterpay, Apple Pay, Zip, Bank Deposit, Gift Certificate;
- "Customer Message" is free text, a few over two lines (quoted newlines inside a row), "Order Notes" the staff's;
  postcodes keep their leading zero (Darwin 0800); "Billing State"/"Shipping State" hold full state names; a gift
  order ships elsewhere than it bills (another state, now and then New Zealand).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 20260531
START = date(2024, 6, 1)
END = date(2026, 5, 31)  # the last order day of the export
FILE_NAME = "orders-2026-05-31.csv"

ADDRESS = ["First Name", "Last Name", "Company", "Street 1", "Street 2", "Suburb", "State", "Zip", "Country",
           "Suburb + State + Zip", "Phone", "Email"]
COLUMNS = (["Order ID", "Customer ID", "Customer Name", "Customer Email", "Customer Phone", "Order Date",
            "Order Status", "Subtotal (inc tax)", "Subtotal (ex tax)", "Tax Total", "Shipping Cost (inc tax)",
            "Shipping Cost (ex tax)", "Ship Method", "Handling Cost (inc tax)", "Handling Cost (ex tax)",
            "Store Credit Redeemed", "Gift Certificate Amount Redeemed", "Gift Certificate Code",
            "Gift Certificate Expiration Date", "Coupon Details", "Order Total (inc tax)", "Order Total (ex tax)",
            "Payment Method", "Total Quantity", "Total Shipped", "Date Shipped", "Order Currency Code",
            "Exchange Rate", "Order Notes", "Customer Message"]
           + [f"Billing {a}" for a in ADDRESS] + [f"Shipping {a}" for a in ADDRESS]
           + ["Combined Product Weight", "Product Details", "Refund Amount"])

GRINDS = ["Whole Bean", "Espresso", "Filter", "Plunger", "Stovetop"]
GRIND_WEIGHTS = [0.52, 0.22, 0.12, 0.09, 0.05]
GRIND_SKU = {"Whole Bean": "WB", "Espresso": "ES", "Filter": "FI", "Plunger": "PL", "Stovetop": "ST"}

# key: (product id, name, sku stem, taxable, weight by size, price by size, colours or None, retail pick weight)
PRODUCTS = {
    "house": (112, "Bellbird House Blend", "BB-HOUSE", False, {"250g": 0.25, "1kg": 1.0},
              {"250g": 19.50, "1kg": 62.00}, None, 0.24),
    "yirg": (118, "Ethiopia Yirgacheffe Kochere", "BB-ETH-YIR", False, {"250g": 0.25, "1kg": 1.0},
             {"250g": 24.00, "1kg": 78.00}, None, 0.10),
    "brazil": (121, "Brazil Cerrado Espresso", "BB-BRA-CER", False, {"250g": 0.25, "1kg": 1.0},
               {"250g": 18.50, "1kg": 58.00}, None, 0.11),
    "decaf": (125, "Colombia Huila Decaf", "BB-COL-DEC", False, {"250g": 0.25, "1kg": 1.0},
              {"250g": 21.00, "1kg": 68.00}, None, 0.06),
    "kenya": (131, "Kenya Nyeri AA", "BB-KEN-NYE", False, {"250g": 0.25}, {"250g": 26.00}, None, 0.05),
    "sampler": (140, "Single Origin Sampler Pack", "BB-SAMPLER", False, {"": 0.30}, {"": 32.00}, None, 0.06),
    "v60": (205, "Hario V60 Ceramic Dripper 02", "HAR-V60-02", True, {"": 0.45}, {"": 39.95},
            ["White", "Black"], 0.05),
    "filters": (206, "Hario V60 Paper Filters 02, 100 Pack", "HAR-VCF-02", True, {"": 0.12}, {"": 9.95}, None,
                0.08),
    "aeropress": (210, "AeroPress Original", "AERO-ORIG", True, {"": 0.45}, {"": 69.95}, None, 0.04),
    "kettle": (214, "Fellow Stagg EKG Electric Kettle", "FEL-EKG", True, {"": 1.30}, {"": 279.00},
               ["Matte Black", "Polished Steel"], 0.015),
    "encore": (218, "Baratza Encore Grinder", "BAR-ENC", True, {"": 3.10}, {"": 299.00}, None, 0.015),
    "cup": (222, "Bellbird Ceramic Cup 8oz", "BB-CUP-8", True, {"": 0.35}, {"": 28.00}, ["Sand", "Charcoal"],
            0.06),
    "keepcup": (225, "Bellbird KeepCup 12oz", "BB-KC-12", True, {"": 0.20}, {"": 32.00}, None, 0.04),
    "workshop": (230, "Home Barista Workshop (Marrickville)", "BB-WKSHP", True, {"": 0.0}, {"": 95.00}, None,
                 0.015),
}
COFFEE = ["house", "yirg", "brazil", "decaf", "kenya"]
WHOLESALE_PRICE = {"house": 44.00, "brazil": 41.00}

# state -> (weight, [(suburb, postcode, sydney metro)])
STATES = {
    "New South Wales": (0.44, [("Marrickville", "2204", True), ("Newtown", "2042", True),
                               ("Surry Hills", "2010", True), ("Bondi", "2026", True),
                               ("Parramatta", "2150", True), ("Chatswood", "2067", True),
                               ("Leichhardt", "2040", True), ("Manly", "2095", True),
                               ("Newcastle", "2300", False), ("Wollongong", "2500", False),
                               ("Orange", "2800", False)]),
    "Victoria": (0.21, [("Fitzroy", "3065", False), ("Brunswick", "3056", False), ("Richmond", "3121", False),
                        ("St Kilda", "3182", False), ("Geelong", "3220", False), ("Ballarat", "3350", False)]),
    "Queensland": (0.14, [("West End", "4101", False), ("Fortitude Valley", "4006", False),
                          ("Paddington", "4064", False), ("Southport", "4215", False),
                          ("Noosa Heads", "4567", False)]),
    "Western Australia": (0.07, [("Fremantle", "6160", False), ("Perth", "6000", False),
                                 ("Subiaco", "6008", False)]),
    "South Australia": (0.05, [("Adelaide", "5000", False), ("Norwood", "5067", False)]),
    "Australian Capital Territory": (0.04, [("Braddon", "2612", False), ("Kingston", "2604", False)]),
    "Tasmania": (0.03, [("Hobart", "7000", False), ("Launceston", "7250", False)]),
    "Northern Territory": (0.02, [("Darwin", "0800", False), ("Parap", "0820", False)]),
}
ABROAD = {  # country -> (weight, [(state, suburb/city, postcode)], shipping)
    "New Zealand": (0.055, [("Auckland", "Auckland", "1010"), ("Wellington", "Wellington", "6011"),
                            ("Canterbury", "Christchurch", "8011")], 19.95),
    "United States": (0.02, [("California", "San Francisco", "94110"), ("New York", "Brooklyn", "11211"),
                             ("Washington", "Seattle", "98103")], 29.95),
    "United Kingdom": (0.012, [("", "London", "E8 3RL"), ("", "Bristol", "BS6 5QA")], 29.95),
    "Singapore": (0.008, [("", "Singapore", "238859")], 29.95),
    "Canada": (0.005, [("British Columbia", "Vancouver", "V6K 1P4"), ("Ontario", "Toronto", "M5V 2T6")], 29.95),
}
COUNTRY_P = {"Australia": 0.90, **{c: v[0] for c, v in ABROAD.items()}}

FIRST = ["Olivia", "Charlotte", "Amelia", "Isla", "Mia", "Ava", "Grace", "Chloe", "Matilda", "Zoe", "Ruby",
         "Sophie", "Emily", "Harper", "Lily", "Ella", "Sienna", "Willow", "Jessica", "Sarah", "Emma", "Hannah",
         "Kate", "Lucy", "Georgia", "Jack", "Oliver", "William", "Noah", "Thomas", "James", "Lachlan", "Liam",
         "Cooper", "Henry", "Charlie", "Max", "Riley", "Ethan", "Harrison", "Lucas", "Angus", "Sam", "Ben",
         "Daniel", "Josh", "Matt", "Tom", "Wei", "Jun", "Mei", "Ling", "Priya", "Arjun", "Minh", "Linh", "Hiro",
         "Yuna", "Sofia", "Marco", "Giulia", "Nikos", "Eleni", "Fatima", "Omar", "Aroha", "Tane"]
LAST = ["Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White", "Martin", "Anderson",
        "Thompson", "Nguyen", "Thomas", "Walker", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King", "Davis",
        "Wright", "Evans", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis",
        "James", "Phillips", "Mitchell", "Campbell", "Murphy", "O'Brien", "Tran", "Chen", "Wang", "Li", "Zhang",
        "Kim", "Singh", "Papadopoulos", "Rossi", "Russo", "MacDonald", "Fraser", "Ngata", "McKenzie"]
DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "outlook.com", "hotmail.com", "icloud.com", "bigpond.com",
           "yahoo.com.au", "optusnet.com.au", "live.com.au"]
STREETS = ["King St", "Enmore Rd", "Illawarra Rd", "Crown St", "Church St", "George St", "High St",
           "Victoria Rd", "Smith St", "Lygon St", "Brunswick St", "Boundary St", "Beaufort St", "Rundle St",
           "Elizabeth St", "Queen St", "Station St", "Park Rd", "Darling St", "Marion St"]
CAFES = [  # (contact first, last, company, suburb, postcode, weekly kg, days between orders)
    ("Marco", "Rossi", "Piccolo Espresso Bar", "Newtown", "2042", 9, 7),
    ("Hannah", "Clarke", "Two Magpies Cafe", "Marrickville", "2204", 6, 14),
    ("Minh", "Tran", "Little Lane Coffee", "Surry Hills", "2010", 5, 14),
    ("Georgia", "Evans", "Saltbush Kitchen", "Leichhardt", "2040", 4, 14),
    ("Nikos", "Papadopoulos", "The Daily Grind Parramatta", "Parramatta", "2150", 5, 21),
]
MESSAGES = ["Please leave at the front door", "Gift - please don't include the invoice",
            "Can you grind it for a Moka pot please?", "Happy birthday Dad! Love, Em",
            "Leave with reception if no one home", "Please don't bend, fragile", "Thanks heaps!",
            "Hi!\nCould you please send the freshest roast you have?\nThanks", "Side gate, behind the bins, thanks",
            "Merry Christmas!\nLove from all of us", "Is the Kenya still the 2025 harvest?",
            "Deliver after 3pm if possible, \"unit 4\" is around the back"]
COUPONS = {"WELCOME10": (3, "Percentage off order total", 10), "CUPPA5": (5, "Dollar amount off order total", 5),
           "EOFY20": (8, "Percentage off order total", 20), "BLACKFRIDAY25": (11, "Percentage off order total", 25)}
BLACK_FRIDAY = [(date(2024, 11, 29), date(2024, 12, 2)), (date(2025, 11, 28), date(2025, 12, 1))]
MONTH_FACTOR = {1: 0.85, 2: 0.85, 3: 0.95, 4: 0.95, 5: 1.0, 6: 1.15, 7: 1.0, 8: 1.0, 9: 1.1, 10: 1.0,
                11: 1.25, 12: 1.6}


def money(v: float) -> str:
    return f"{round(v + 0.0, 2):.2f}"


def money4(v: float) -> str:
    return f"{round(v + 0.0, 2):.4f}"


def au_date(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _eofy(d: date) -> bool:
    return d.month == 6 and 20 <= d.day <= 30


def _day_weights() -> tuple[list[date], np.ndarray]:
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    w = []
    for d in days:
        f = MONTH_FACTOR[d.month] * (0.8 + 0.45 * (d - START).days / (END - START).days)
        if d.month == 12 and d.day > 20:
            f *= 0.4  # past Australia Post's last Christmas dates
        if d.month == 9 and d.day <= 7:
            f *= 1.4  # Father's Day (first Sunday of September)
        if any(a <= d <= b for a, b in BLACK_FRIDAY):
            f *= 2.4
        if _eofy(d):
            f *= 1.8
        w.append(f)
    w = np.array(w)
    return days, w / w.sum()


class _People:
    def __init__(self, rng):
        self.rng, self.emails = rng, set()

    def name(self) -> tuple[str, str]:
        return FIRST[self.rng.randint(len(FIRST))], LAST[self.rng.randint(len(LAST))]

    def email(self, first: str, last: str) -> str:
        rng = self.rng
        base = "".join(ch for ch in last.lower() if ch.isalpha())
        while True:
            style = rng.randint(4)
            local = {0: f"{first.lower()}.{base}", 1: f"{first.lower()}{base}{rng.randint(1, 99)}",
                     2: f"{first[0].lower()}{base}", 3: f"{first.lower()}_{base}{rng.randint(70, 99)}"}[style]
            e = f"{local}@{DOMAINS[rng.randint(len(DOMAINS))]}"
            if e not in self.emails:
                self.emails.add(e)
                return e

    def phone(self) -> str:
        rng = self.rng
        digits = f"4{rng.randint(10, 99)}{rng.randint(100, 999)}{rng.randint(100, 999)}"
        return f"0{digits[:3]} {digits[3:6]} {digits[6:]}" if rng.rand() < 0.7 else f"+61{digits}"


def _address(rng, country: str, state: str | None = None) -> dict:
    street = f"{rng.randint(1, 250)} {STREETS[rng.randint(len(STREETS))]}"
    street2 = f"Unit {rng.randint(1, 30)}" if rng.rand() < 0.18 else ""
    if country == "Australia":
        names = list(STATES)
        if state is None:
            p = np.array([STATES[s][0] for s in names])
            state = names[rng.choice(len(names), p=p / p.sum())]
        suburb, postcode, metro = STATES[state][1][rng.randint(len(STATES[state][1]))]
        return {"street": street, "street2": street2, "suburb": suburb, "state": state, "zip": postcode,
                "country": "Australia", "metro": metro}
    st, city, postcode = ABROAD[country][1][rng.randint(len(ABROAD[country][1]))]
    return {"street": street, "street2": street2, "suburb": city, "state": st, "zip": postcode,
            "country": country, "metro": False}


def _persons(rng, people: _People, days, weights) -> list[dict]:
    """Retail buyers (some guests), subscribers and cafés: who they are and when they order."""
    out = []
    countries = list(COUNTRY_P)
    cp = np.array([COUNTRY_P[c] for c in countries])
    n_retail = 5600
    firsts = rng.choice(len(days), size=n_retail, p=weights)
    for i in range(n_retail):
        first, last = people.name()
        country = countries[rng.choice(len(countries), p=cp / cp.sum())]
        kind = str(rng.choice(["once", "occasional", "regular"], p=[0.62, 0.28, 0.10]))
        guest_p = {"once": 0.55, "occasional": 0.35, "regular": 0.20}[kind]
        guest = rng.rand() < guest_p
        out.append({"kind": kind, "first": first, "last": last, "email": people.email(first, last),
                    "phone": people.phone() if rng.rand() < 0.8 else "", "addr": _address(rng, country),
                    "start": days[firsts[i]], "gap": {"once": 0, "occasional": 95, "regular": 42}[kind],
                    "stop": {"once": 1.0, "occasional": 0.38, "regular": 0.14}[kind],
                    "guest": guest, "registers_after": (int(rng.randint(1, 4)) if guest and kind != "once"
                                                        and rng.rand() < 0.3 else None),
                    "existing": (not guest) and rng.rand() < 0.12, "company": ""})
    for _ in range(380):  # subscribers
        first, last = people.name()
        start = START + timedelta(days=int(rng.randint(0, (END - START).days - 20)))
        out.append({"kind": "subscriber", "first": first, "last": last, "email": people.email(first, last),
                    "phone": people.phone(), "addr": _address(rng, "Australia"), "start": start,
                    "gap": int(rng.choice([14, 28], p=[0.4, 0.6])), "stop": 0.045, "guest": False,
                    "registers_after": None, "existing": rng.rand() < 0.2, "company": "",
                    "plan": str(rng.choice(["house", "brazil", "decaf", "roaster"], p=[0.45, 0.25, 0.1, 0.2])),
                    "size": str(rng.choice(["1kg", "2x250g"], p=[0.55, 0.45]))})
    for first, last, company, suburb, postcode, kg, every in CAFES:
        email = f"{first.lower()}@{''.join(ch for ch in company.lower() if ch.isalnum())}.com.au"
        people.emails.add(email)
        addr = {"street": f"{rng.randint(1, 400)} {STREETS[rng.randint(len(STREETS))]}", "street2": "",
                "suburb": suburb, "state": "New South Wales", "zip": postcode, "country": "Australia",
                "metro": True}
        out.append({"kind": "cafe", "first": first, "last": last, "email": email,
                    "phone": f"02 9{rng.randint(100, 999)} {rng.randint(1000, 9999)}", "addr": addr,
                    "start": START + timedelta(days=int(rng.randint(0, 40))), "gap": every, "stop": 0.0,
                    "guest": False, "registers_after": None, "existing": True, "company": company, "kg": kg})
    return out


def _order_days(rng, p: dict) -> list[date]:
    d, out = p["start"], []
    while d <= END:
        out.append(d)
        if rng.rand() < p["stop"]:
            break
        if p["kind"] in ("subscriber", "cafe"):
            d = d + timedelta(days=p["gap"] + int(rng.choice([-1, 0, 0, 0, 1])))
        else:
            d = d + timedelta(days=max(5, int(rng.exponential(p["gap"]))))
    return out


def _item(rng, key: str, qty: int, size: str | None = None, price: float | None = None) -> dict:
    pid, name, sku, taxable, weights, prices, colours, _ = PRODUCTS[key]
    if size is None:
        sizes = list(prices)
        size = sizes[0] if len(sizes) == 1 else str(rng.choice(sizes, p=[0.6, 0.4]))
    parts, sku_parts = [], [sku]
    if size:
        parts.append(f"Size: {size}")
        sku_parts.append(size.upper())
    if key in COFFEE:
        grind = GRINDS[rng.choice(len(GRINDS), p=GRIND_WEIGHTS)]
        parts.append(f"Grind: {grind}")
        sku_parts.append(GRIND_SKU[grind])
    if colours:
        colour = colours[rng.randint(len(colours))]
        parts.append(f"Colour: {colour}")
        sku_parts.append(colour.split()[-1][:3].upper())
    if key == "workshop":
        parts.append(f"Session: Saturday {rng.choice(['9am', '1pm'])}")
    unit = prices[size] if price is None else price
    return {"key": key, "pid": pid, "name": name, "sku": "-".join(sku_parts), "taxable": taxable,
            "weight": weights[size], "variation": ", ".join(parts), "qty": qty, "unit": unit,
            "total": round(qty * unit, 2)}


def _retail_items(rng) -> list[dict]:
    keys = list(PRODUCTS)
    w = np.array([PRODUCTS[k][7] for k in keys])
    n = int(rng.choice([1, 2, 3, 4], p=[0.55, 0.28, 0.12, 0.05]))
    picked = []
    for _ in range(n):
        k = keys[rng.choice(len(keys), p=w / w.sum())]
        if k not in picked:
            picked.append(k)
    items = []
    for k in picked:
        r = rng.rand()
        qty = 1 if k in ("kettle", "encore", "v60", "aeropress") or r < 0.72 else (2 if r < 0.94 else 3)
        items.append(_item(rng, k, qty))
    if "v60" in picked and "filters" not in picked and rng.rand() < 0.45:
        items.append(_item(rng, "filters", 1))
    return items


def _subscription_items(rng, p: dict, nth: int) -> list[dict]:
    plan = p["plan"]
    if plan == "roaster":  # the roaster's choice: a single origin that rotates
        plan = ["yirg", "kenya", "brazil", "yirg", "decaf"][nth % 5]
    if plan == "kenya" or p["size"] == "2x250g":
        return [_item(rng, plan, 2, "250g")]
    return [_item(rng, plan, 1, "1kg")]


def _cafe_items(rng, p: dict) -> list[dict]:
    kg = max(2, int(round(p["kg"] * p["gap"] / 7 * (0.8 + 0.4 * rng.rand()))))
    items = [_item(rng, "house", kg, "1kg", WHOLESALE_PRICE["house"])]
    if rng.rand() < 0.4:
        items.append(_item(rng, "brazil", int(rng.randint(2, 5)), "1kg", WHOLESALE_PRICE["brazil"]))
    return items


def _details(items: list[dict]) -> str:
    return "|".join(
        f"Product ID: {it['pid']}, Product Qty: {it['qty']}, Product SKU: {it['sku']}, Product Name: {it['name']}, "
        f"Product Weight: {it['weight']:.4f}, Product Variation Details: {it['variation']}, "
        f"Product Unit Price: {it['unit']:.2f}, Product Total Price: {it['total']:.2f}" for it in items)


def _order(rng, p: dict, when: date, nth: int, people: _People) -> dict:
    kind = p["kind"]
    if kind == "subscriber":
        items = _subscription_items(rng, p, nth)
    elif kind == "cafe":
        items = _cafe_items(rng, p)
    else:
        items = _retail_items(rng)
    bill = p["addr"]
    ship = bill
    gift = kind in ("once", "occasional", "regular") and bill["country"] == "Australia" and rng.rand() < 0.07
    if gift:
        ship = _address(rng, "New Zealand") if rng.rand() < 0.05 else _address(rng, "Australia")
    subtotal = round(sum(it["total"] for it in items), 2)
    taxable = round(sum(it["total"] for it in items if it["taxable"]), 2)
    domestic = ship["country"] == "Australia"
    workshop_only = all(it["key"] == "workshop" for it in items)
    # shipping
    if workshop_only:
        method, shipping = "", 0.0
    elif kind == "cafe":
        method, shipping = "Local Courier (Sydney Metro)", 12.00
    elif kind == "subscriber":
        method, shipping = "Free Shipping", 0.0
    elif not domestic:
        method, shipping = "International Standard", ABROAD[ship["country"]][2]
    elif ship["metro"] and not gift and rng.rand() < 0.22:
        method, shipping = "Pickup In Store", 0.0
    elif rng.rand() < 0.11:
        method, shipping = "Australia Post Express Post", 14.95
    elif subtotal >= 80:
        method, shipping = "Free Shipping", 0.0
    else:
        method, shipping = "Australia Post Parcel Post", 9.95
    # coupon
    coupon, discount = "", 0.0
    if kind in ("once", "occasional", "regular"):
        r = rng.rand()
        if any(a <= when <= b for a, b in BLACK_FRIDAY) and r < 0.42:
            coupon = "BLACKFRIDAY25"
        elif _eofy(when) and r < 0.35:
            coupon = "EOFY20"
        elif nth == 0 and r < 0.11:
            coupon = "WELCOME10"
        elif nth > 0 and subtotal >= 30 and r < 0.09:
            coupon = "CUPPA5"
    if coupon:
        value = COUPONS[coupon][2]
        discount = 5.0 if coupon == "CUPPA5" else round(subtotal * value / 100, 2)
    gst_lines_before = round(taxable / 11, 2) if domestic else 0.0
    gst_lines_after = round(taxable * (1 - discount / subtotal) / 11, 2) if domestic else 0.0
    gst_ship = round(shipping / 11, 2) if domestic else 0.0
    total_inc = round(subtotal - discount + shipping, 2)
    tax = round(gst_lines_after + gst_ship, 2)
    # payment
    if kind == "cafe":
        payment = "Bank Deposit"
    elif kind == "subscriber":
        payment = "Credit Card"
    else:
        payment = str(rng.choice(["Credit Card", "PayPal", "Afterpay", "Apple Pay", "Zip", "Bank Deposit"],
                                 p=[0.50, 0.21, 0.13, 0.08, 0.05, 0.03]))
    gift_cert, gc_code, gc_expiry, store_credit = 0.0, "", "", 0.0
    if kind in ("once", "occasional", "regular") and rng.rand() < 0.02:
        gift_cert = min(float(rng.choice([50.0, 100.0])), total_inc)
        gc_code = "-".join("".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"), 4)) for _ in range(3))
        gc_expiry = au_date(when + timedelta(days=int(rng.randint(60, 700))))
        if gift_cert >= total_inc:
            payment = "Gift Certificate"
    elif not p["guest"] and kind in ("occasional", "regular") and rng.rand() < 0.006:
        store_credit = min(round(float(rng.uniform(5, 20)), 2), total_inc)
    # status
    age = (END - when).days
    pickup = method == "Pickup In Store"
    done = "Completed" if (pickup or workshop_only or kind == "cafe") else "Shipped"
    status, refund = done, 0.0
    r = rng.rand()
    if payment == "Bank Deposit" and age <= (13 if kind == "cafe" else 6) and rng.rand() < 0.7:
        status = "Awaiting Payment"
    elif r < (0.030 if kind == "subscriber" else 0.006) and payment in ("Credit Card", "PayPal", "Afterpay",
                                                                         "Zip", "Apple Pay"):
        status = "Declined"
    elif r < 0.032 and kind != "cafe":
        status = "Cancelled"
    elif r < 0.045 and kind != "cafe" and age > 5:
        status, refund = "Refunded", total_inc
    elif r < 0.055 and kind != "cafe" and age > 5 and len(items) + sum(it["qty"] for it in items) > 2:
        status = "Partially Refunded"
        it = items[rng.randint(len(items))]
        refund = round(it["unit"] * (0.5 if rng.rand() < 0.3 else 1.0), 2)
    elif age <= 2 and not workshop_only:
        status = "Awaiting Pickup" if pickup else "Awaiting Fulfillment"
    qty = sum(it["qty"] for it in items)
    shipped_states = ("Shipped", "Completed", "Refunded", "Partially Refunded")
    date_shipped = None
    if status in shipped_states and not workshop_only and not (status == "Refunded" and rng.rand() < 0.4):
        date_shipped = when + timedelta(days=0 if pickup else int(rng.randint(1, 4)))
        date_shipped = min(date_shipped, END)
    notes = ""
    if kind == "subscriber":
        notes = f"ReCharge subscription order #RC{p['sub_id']}-{nth + 1}"
    elif kind == "cafe":
        notes = f"Wholesale - invoice W-{p['invoice']}"
        p["invoice"] += 1
    elif status == "Partially Refunded":
        notes = "Item arrived damaged - refunded"
    message = MESSAGES[rng.randint(len(MESSAGES))] if rng.rand() < 0.05 else ""
    if message.startswith("Merry Christmas") and when.month != 12:
        message = "Thanks heaps!"
    # the customer's e-mail: registered accounts carry the account's; a guest types it (sometimes capitalised)
    registered = not p["guest"] or (p["registers_after"] is not None and nth >= p["registers_after"])
    email = p["email"]
    if not registered and rng.rand() < 0.10:
        local, domain = email.split("@")
        email = ".".join(s.capitalize() for s in local.split(".")) + "@" + domain.capitalize()
    ship_first, ship_last = (people.name() if gift else (p["first"], p["last"]))
    return {"date": when, "person": p, "registered": registered, "email": email, "status": status,
            "items": items, "subtotal": subtotal, "subtotal_ex": round(subtotal - gst_lines_before, 2),
            "tax": tax, "shipping": shipping, "shipping_ex": round(shipping - gst_ship, 2), "method": method,
            "store_credit": store_credit, "gift_cert": gift_cert, "gc_code": gc_code, "gc_expiry": gc_expiry,
            "coupon": coupon, "discount": discount, "total_inc": total_inc, "total_ex": round(total_inc - tax, 2),
            "payment": payment, "qty": qty, "shipped_qty": qty if date_shipped else 0,
            "date_shipped": date_shipped, "notes": notes, "message": message, "bill": bill, "ship": ship,
            "ship_name": (ship_first, ship_last), "refund": refund,
            "weight": sum(it["qty"] * it["weight"] for it in items)}


def _address_cells(prefix: str, first: str, last: str, company: str, a: dict, phone: str, email: str) -> dict:
    return {f"{prefix} First Name": first, f"{prefix} Last Name": last, f"{prefix} Company": company,
            f"{prefix} Street 1": a["street"], f"{prefix} Street 2": a["street2"], f"{prefix} Suburb": a["suburb"],
            f"{prefix} State": a["state"], f"{prefix} Zip": a["zip"], f"{prefix} Country": a["country"],
            f"{prefix} Suburb + State + Zip": ", ".join(x for x in (a["suburb"], a["state"], a["zip"]) if x),
            f"{prefix} Phone": phone, f"{prefix} Email": email}


def write_shop(directory: str | Path) -> Path:
    """Write the export into `directory`; return its path."""
    rng = np.random.RandomState(SEED)
    people = _People(rng)
    days, weights = _day_weights()
    persons = _persons(rng, people, days, weights)
    orders = []
    for i, p in enumerate(persons):
        p["sub_id"], p["invoice"] = 40100 + i, 1001 + 300 * i % 9000
        for nth, d in enumerate(_order_days(rng, p)):
            orders.append(_order(rng, p, d, nth, people))
    orders.sort(key=lambda o: (o["date"], o["person"]["email"]))
    # store accounts: customers who had an account before the export keep their older ids; the rest are numbered
    # in the order they registered
    first_registered: dict[int, date] = {}
    for o in orders:
        if o["registered"]:
            first_registered.setdefault(id(o["person"]), o["date"])
    existing = [p for p in persons if id(p) in first_registered and p["existing"]]
    old_ids = rng.choice(np.arange(1, 2417), size=len(existing), replace=False)
    ids = {id(p): int(i) for p, i in zip(existing, old_ids)}
    next_id = 2417
    for p in sorted((p for p in persons if id(p) in first_registered and not p["existing"]),
                    key=lambda p: (first_registered[id(p)], p["email"])):
        ids[id(p)] = next_id
        next_id += 1
    rows = []
    order_id = 21873
    for o in orders:
        order_id += 1 if rng.rand() < 0.93 else int(rng.randint(2, 5))  # abandoned (incomplete) ids are skipped
        p = o["person"]
        cid = ids[id(p)] if o["registered"] else 0
        name = f"{p['first']} {p['last']}"
        row = {
            "Order ID": str(order_id), "Customer ID": str(cid), "Customer Name": name, "Customer Email": o["email"],
            "Customer Phone": p["phone"], "Order Date": au_date(o["date"]), "Order Status": o["status"],
            "Subtotal (inc tax)": money(o["subtotal"]), "Subtotal (ex tax)": money(o["subtotal_ex"]),
            "Tax Total": money(o["tax"]), "Shipping Cost (inc tax)": money(o["shipping"]),
            "Shipping Cost (ex tax)": money(o["shipping_ex"]), "Ship Method": o["method"],
            "Handling Cost (inc tax)": money4(0), "Handling Cost (ex tax)": money4(0),
            "Store Credit Redeemed": money4(o["store_credit"]),
            "Gift Certificate Amount Redeemed": money4(o["gift_cert"]), "Gift Certificate Code": o["gc_code"],
            "Gift Certificate Expiration Date": o["gc_expiry"],
            "Coupon Details": (f"Coupon ID: {COUPONS[o['coupon']][0]}, Coupon Code: {o['coupon']}, Coupon Type: "
                               f"{COUPONS[o['coupon']][1]}, Coupon Value: {COUPONS[o['coupon']][2]}, "
                               f"Coupon Discount: {o['discount']:.2f}") if o["coupon"] else "",
            "Order Total (inc tax)": money(o["total_inc"]), "Order Total (ex tax)": money(o["total_ex"]),
            "Payment Method": o["payment"], "Total Quantity": str(o["qty"]), "Total Shipped": str(o["shipped_qty"]),
            "Date Shipped": au_date(o["date_shipped"]), "Order Currency Code": "AUD",
            "Exchange Rate": "1.0000000000", "Order Notes": o["notes"], "Customer Message": o["message"],
            **_address_cells("Billing", p["first"], p["last"], p["company"], o["bill"], p["phone"], o["email"]),
            **_address_cells("Shipping", *o["ship_name"], p["company"] if o["ship"] is o["bill"] else "",
                             o["ship"], p["phone"] if o["ship"] is o["bill"] else "",
                             o["email"] if o["ship"] is o["bill"] else ""),
            "Combined Product Weight": f"{o['weight']:.4f}", "Product Details": _details(o["items"]),
            "Refund Amount": money(o["refund"]),
        }
        rows.append(row)
    rows.reverse()  # newest first
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / FILE_NAME
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, quoting=csv.QUOTE_MINIMAL)
        w.writeheader()
        w.writerows(rows)
    return path


if __name__ == "__main__":
    import sys

    print(write_shop(sys.argv[1] if len(sys.argv) > 1 else "."))
