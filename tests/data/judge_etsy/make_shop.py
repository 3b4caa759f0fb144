"""An Etsy "Sold Order Items" CSV export of a small handmade ceramics shop.

Saltmarsh Clay is a one-person stoneware studio in Portland, Maine, selling mugs, bowls, plates, vases and planters
on Etsy (shop currency USD) and, in season, at the Saturday farmers market and a December craft fair through Etsy's
in-person selling. `write_shop(dir)` writes `EtsySoldOrderItems_2024-05-01_2026-04-30.csv`, deterministic (seed
20260430), as Etsy's Shop Manager > Settings > Options > Download Data > "Order Items" CSV gives it:

- one row per item line ("transaction"), newest first; the columns in Etsy's order: Sale Date, Item Name, Buyer,
  Quantity, Price, Coupon Code, Coupon Details, Discount Amount, Shipping Discount, Order Shipping, Order Sales
  Tax, Item Total, Currency, Transaction ID, Listing ID, Date Paid, Date Shipped, Ship Name, Ship Address1, Ship
  Address2, Ship City, Ship State, Ship Zipcode, Ship Country, Order ID, Variations, Order Type, Listings Type,
  Payment Type, InPerson Discount, InPerson Location, VAT Paid by Buyer, SKU;
- dates are US "MM/DD/YY" (04/03/26 is April 3rd); "Date Paid" is the sale day (a few PayPal payments clear a day
  or three later); "Date Shipped" is 1-7 days later (custom sets 2-3 weeks), blank for orders not shipped yet at
  the end of the export and for in-person sales;
- "Buyer" is the Etsy username, the only customer key; "Ship Name" is the recipient, usually the buyer's own name
  but someone else's on a gift; in-person sales have no buyer and no shipping columns;
- money is written as plain numbers ("34.00", zero as "0"); "Price" is the unit price, "Item Total" = Quantity ×
  Price (before any discount); "Discount Amount" is the line's share of the order's coupon; the ORDER-level
  columns "Order Shipping" (what the buyer paid for shipping, after a free-shipping coupon), "Shipping Discount",
  "Order Sales Tax", "VAT Paid by Buyer", "Coupon Code" and "Coupon Details" repeat on every line of the order;
  "InPerson Discount" is a line's discount at the craft fair (10% on 2+ items);
- US orders of $35 or more ship free (Etsy's free-shipping guarantee); Etsy collects US sales tax
  ("Order Sales Tax") and UK/EU VAT ("VAT Paid by Buyer"); the currency is USD on every line (Etsy records the
  sale in the shop's listing currency whatever the buyer paid in);
- coupons: WELCOME10 (10%, a first order), SUMMER15 (15%, summer 2025), BLACKFRIDAY20 (20%, Black Friday
  weekends), THANKYOU5 ($5 off a returning buyer's order), FREESHIP (free shipping); one per order;
- "Variations" is "Colour:Sea Glass,Size:14 oz" (two listings say "Color:"; the custom wedding set carries a
  "Personalization:" note); "Ship Zipcode" keeps its leading zeros (04101, 02139) and sometimes has ZIP+4;
  "Ship Country" is usually "United States", with a few orders written in other case ("united states",
  "UNITED KINGDOM"), as a messy export would;
- the Order Items export has no order status: refunds and cancellations only show in the separate "Sold Orders"
  export's Adjusted columns and the payments CSV, so a refunded sale looks like any other here; this file has
  none to tell apart (the expected answers count every line).
"""

from __future__ import annotations

import csv
from datetime import date, timedelta
from pathlib import Path

import numpy as np

SEED = 20260430
START = date(2024, 5, 1)
END = date(2026, 4, 30)  # the last sale day of the export (a Thursday)
FILE_NAME = "EtsySoldOrderItems_2024-05-01_2026-04-30.csv"

COLUMNS = ["Sale Date", "Item Name", "Buyer", "Quantity", "Price", "Coupon Code", "Coupon Details",
           "Discount Amount", "Shipping Discount", "Order Shipping", "Order Sales Tax", "Item Total", "Currency",
           "Transaction ID", "Listing ID", "Date Paid", "Date Shipped", "Ship Name", "Ship Address1",
           "Ship Address2", "Ship City", "Ship State", "Ship Zipcode", "Ship Country", "Order ID", "Variations",
           "Order Type", "Listings Type", "Payment Type", "InPerson Discount", "InPerson Location",
           "VAT Paid by Buyer", "SKU"]

COLOURS = ["Sea Glass", "Speckled White", "Oatmeal", "Midnight Blue", "Moss"]
COLOUR_WEIGHTS = [0.31, 0.24, 0.19, 0.16, 0.10]

# key, title, weight, listing id, sku stem ("" = no SKU), colour property name (None = no colour),
# {size: price} (one entry "" = no size variation), listings type
LISTINGS = [
    ("mug", "Speckled Stoneware Mug, Handmade Ceramic Coffee Mug, Pottery Cup", 0.20, "1432907765", "SC-MUG",
     "Colour", {"10 oz": 34.0, "14 oz": 38.0}, "listing"),
    ("latte", "Tall Latte Mug - Wheel Thrown Pottery Mug with Handle", 0.07, "1447120938", "SC-LAT", "Colour",
     {"": 42.0}, "listing"),
    ("espresso", "Espresso Cup Set of 2, Small Ceramic Cups", 0.04, "1519843302", "", "Color", {"": 44.0},
     "listing"),
    ("ramen", "Handmade Ramen Bowl | Large Stoneware Noodle Bowl", 0.06, "1398277410", "SC-RAM", "Colour",
     {"": 52.0}, "listing"),
    ("cereal", "Ceramic Cereal Bowl, Everyday Pottery Bowl", 0.08, "1398279954", "SC-CER", "Colour", {"": 30.0},
     "listing"),
    ("nesting", "Nesting Bowl Set of 3 - Speckled White Stoneware", 0.03, "1566012877", "SC-NEST", None,
     {"": 96.0}, "listing"),
    ("plate", "Stoneware Dinner Plate, Handmade Ceramic Plate", 0.04, "1402558103", "SC-PLT", "Colour",
     {"": 38.0}, "listing"),
    ("side", "Small Side Plate / Dessert Plate", 0.03, "1402560021", "", "Colour", {"": 26.0}, "listing"),
    ("platter", "Large Serving Platter, Oval Ceramic Platter", 0.02, "1487733650", "SC-PLA", "Colour",
     {"": 88.0}, "listing"),
    ("planter", "Hanging Planter with Drainage, Ceramic Plant Pot", 0.07, "1423318846", "SC-HPL", None,
     {"Small": 36.0, "Medium": 46.0, "Large": 58.0}, "listing"),
    ("budvase", "Mini Bud Vase, Tiny Ceramic Vase", 0.07, "1376650192", "SC-BUD", "Colour", {"": 22.0},
     "listing"),
    ("bottle", "Tall Bottle Vase, Minimalist Stoneware Vase", 0.02, "1530287714", "", None, {"": 66.0},
     "listing"),
    ("spoonrest", "Ceramic Spoon Rest, Kitchen Gift", 0.06, "1381145508", "SC-SPR", "Color", {"": 18.0},
     "listing"),
    ("ringdish", "Ring Dish, Small Trinket Dish, Jewelry Dish", 0.07, "1381149932", "SC-RNG", "Colour",
     {"": 16.0}, "listing"),
    ("salt", "Salt Cellar with Lid, Salt Pig", 0.03, "1459902245", "SC-SLT", "Colour", {"": 32.0}, "listing"),
    ("berry", "Berry Bowl Colander with Saucer", 0.03, "1461187736", "", "Colour", {"": 46.0}, "listing"),
    ("butter", "Butter Dish with Lid, Handmade Butter Keeper", 0.02, "1502216690", "SC-BUT", None, {"": 48.0},
     "listing"),
    ("seconds", "Seconds Mug - Imperfect Pottery Mug (Sale)", 0.04, "1544460081", "SC-2ND", None,
     {"10 oz": 22.0, "14 oz": 25.0}, "listing"),
    ("custom", "Custom Wedding Mug Set, Personalized Couples Mugs", 0.008, "1588341127", "", "Colour",
     {"": 168.0}, "custom"),
]
SIZE_WEIGHTS = {"mug": [0.38, 0.62], "seconds": [0.45, 0.55], "planter": [0.35, 0.40, 0.25]}

COUNTRIES = ["United States", "Canada", "United Kingdom", "Australia", "Germany", "France", "Netherlands",
             "Ireland"]
COUNTRY_WEIGHTS = [0.80, 0.08, 0.05, 0.03, 0.02, 0.007, 0.007, 0.006]
VAT = {"United Kingdom": 0.20, "Germany": 0.19, "France": 0.20, "Netherlands": 0.21, "Ireland": 0.23}

# US state -> (weight, sales tax rate Etsy collects, zip prefix, cities)
US_STATES = {
    "CA": (0.13, 0.0825, "9", ["Los Angeles", "San Francisco", "Oakland", "San Diego", "Sacramento"]),
    "NY": (0.09, 0.08875, "1", ["Brooklyn", "New York", "Rochester", "Buffalo"]),
    "TX": (0.07, 0.0825, "7", ["Austin", "Houston", "Dallas"]),
    "ME": (0.06, 0.055, "04", ["Portland", "South Portland", "Brunswick", "Bangor", "Camden"]),
    "MA": (0.06, 0.0625, "02", ["Boston", "Cambridge", "Somerville", "Salem"]),
    "FL": (0.05, 0.07, "3", ["Miami", "Tampa", "Orlando"]),
    "WA": (0.04, 0.1025, "98", ["Seattle", "Tacoma", "Bellingham"]),
    "IL": (0.04, 0.1025, "60", ["Chicago", "Evanston"]),
    "PA": (0.04, 0.06, "1", ["Philadelphia", "Pittsburgh"]),
    "NJ": (0.04, 0.06625, "07", ["Jersey City", "Montclair", "Hoboken"]),
    "OR": (0.03, 0.0, "97", ["Portland", "Eugene"]),
    "CO": (0.03, 0.0881, "80", ["Denver", "Boulder"]),
    "NC": (0.03, 0.0725, "27", ["Asheville", "Durham", "Raleigh"]),
    "VA": (0.03, 0.06, "22", ["Richmond", "Arlington"]),
    "MI": (0.03, 0.06, "48", ["Detroit", "Ann Arbor"]),
    "MN": (0.03, 0.08875, "55", ["Minneapolis", "Saint Paul"]),
    "NH": (0.025, 0.0, "03", ["Portsmouth", "Concord"]),
    "VT": (0.02, 0.07, "05", ["Burlington", "Montpelier"]),
    "CT": (0.025, 0.0635, "06", ["New Haven", "Hartford"]),
    "RI": (0.015, 0.07, "028", ["Providence"]),
    "MD": (0.02, 0.06, "21", ["Baltimore"]),
    "OH": (0.02, 0.0725, "44", ["Cleveland", "Columbus"]),
    "GA": (0.02, 0.089, "30", ["Atlanta", "Savannah"]),
    "AZ": (0.015, 0.086, "85", ["Phoenix", "Tucson"]),
    "WI": (0.015, 0.055, "53", ["Madison", "Milwaukee"]),
    "TN": (0.015, 0.0955, "37", ["Nashville"]),
}
ABROAD = {  # country -> [(state, city, postcode outward part)]
    "Canada": [("ON", "Toronto", "M5V"), ("BC", "Vancouver", "V6K"), ("QC", "Montréal", "H2T"),
               ("AB", "Calgary", "T2P"), ("NS", "Halifax", "B3H")],
    "United Kingdom": [("", "London", "SE15"), ("", "Bristol", "BS6"), ("England", "Manchester", "M20"),
                       ("", "Edinburgh", "EH6")],
    "Australia": [("NSW", "Sydney", "20"), ("VIC", "Melbourne", "30"), ("QLD", "Brisbane", "40")],
    "Germany": [("", "Berlin", "10"), ("", "Hamburg", "22"), ("", "München", "80")],
    "France": [("", "Paris", "750"), ("", "Lyon", "690")],
    "Netherlands": [("", "Amsterdam", "10"), ("", "Utrecht", "35")],
    "Ireland": [("", "Dublin", "D0")],
}
MESSY_COUNTRY = {"United States": ["united states", "UNITED STATES"], "Canada": ["canada", "CANADA"],
                 "United Kingdom": ["united kingdom", "UNITED KINGDOM"], "Australia": ["australia"],
                 "Germany": ["germany"], "France": ["france"], "Netherlands": ["netherlands"],
                 "Ireland": ["ireland"]}

MONTH_FACTOR = {1: 0.70, 2: 0.85, 3: 0.80, 4: 0.85, 5: 1.05, 6: 0.85, 7: 0.75, 8: 0.80, 9: 0.90, 10: 1.0,
                11: 1.55, 12: 1.9}
FIRST = ["Emma", "Olivia", "Ava", "Sophia", "Isabella", "Mia", "Charlotte", "Amelia", "Harper", "Evelyn",
         "Abigail", "Emily", "Ella", "Grace", "Chloe", "Lily", "Hannah", "Sarah", "Jessica", "Megan", "Lauren",
         "Rachel", "Katie", "Molly", "Nora", "Claire", "Julia", "Anna", "Laura", "Jenna", "Liam", "Noah",
         "James", "Ben", "Lucas", "Henry", "Jack", "Sam", "Daniel", "Matt", "Ryan", "Owen", "Eli", "Tom",
         "Wei", "Mei", "Yuki", "Priya", "Aisha", "Sofia", "Camila", "Lena", "Marie", "Sophie", "Freya", "Isla"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Wilson", "Anderson",
        "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis",
        "Walker", "Hall", "Allen", "Young", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson",
        "Hill", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Nguyen", "Patel", "Kim", "Murphy",
        "O'Brien", "Kelly", "Sullivan", "Fischer", "Müller", "Dubois", "van Dijk", "Walsh", "Hughes"]
WORDS = ["clay", "fern", "moss", "honey", "maple", "willow", "tide", "luna", "sage", "wren", "pine", "ocean",
         "plum", "birch", "cedar", "robin", "poppy", "juniper", "olive", "hazel"]
STREETS = ["Main St", "Oak Ave", "Maple St", "Cedar Ln", "Elm St", "Park Ave", "Pine St", "High St",
           "Washington St", "Lake Rd", "Church St", "Mill Rd", "Forest Ave", "Congress St", "Harbor View Dr"]
CAFES = [("hollowtreecafe", "Hollow Tree Cafe"), ("saltwaterbakeshop", "Saltwater Bake Shop"),
         ("northwindinn", "North Wind Inn")]
COUPONS = {"WELCOME10": ("10% off entire order", 0.10), "SUMMER15": ("15% off entire order", 0.15),
           "BLACKFRIDAY20": ("20% off entire order", 0.20), "THANKYOU5": ("$5.00 off entire order", 5.0),
           "FREESHIP": ("Free shipping", 0.0)}
BLACK_FRIDAY = [(date(2024, 11, 29), date(2024, 12, 2)), (date(2025, 11, 28), date(2025, 12, 1))]
SUMMER = (date(2025, 6, 1), date(2025, 8, 31))
FAIRS = [date(2024, 12, 7), date(2024, 12, 8), date(2025, 12, 6), date(2025, 12, 7)]


def money(v: float) -> str:
    v = round(v + 0.0, 2)
    return "0" if v == 0 else f"{v:.2f}"


def us_date(d: date | None) -> str:
    return d.strftime("%m/%d/%y") if d else ""


def _day_weights() -> tuple[list[date], np.ndarray]:
    days = [START + timedelta(days=i) for i in range((END - START).days + 1)]
    w = []
    for d in days:
        f = MONTH_FACTOR[d.month] * (0.8 + 0.45 * (d - START).days / (END - START).days)
        if d.month == 12 and d.day > 18:
            f *= 0.35  # past the last shipping day for Christmas
        if d.month == 5 and d.day <= 10:
            f *= 1.5  # Mother's Day
        if d.month == 2 and 1 <= d.day <= 12:
            f *= 1.3  # Valentine's Day
        if any(a <= d <= b for a, b in BLACK_FRIDAY):
            f *= 2.2
        w.append(f)
    w = np.array(w)
    return days, w / w.sum()


class _Names:
    def __init__(self, rng):
        self.rng, self.seen = rng, set()

    def person(self) -> str:
        return f"{FIRST[self.rng.randint(len(FIRST))]} {LAST[self.rng.randint(len(LAST))]}"

    def username(self, name: str) -> str:
        rng = self.rng
        while True:
            first, last = name.split(" ", 1)
            last = "".join(ch for ch in last if ch.isalpha())
            style = rng.randint(6)
            if style == 0:
                u = f"{first.lower()}{last.lower()}"
            elif style == 1:
                u = f"{first[0].lower()}{last.lower()}{rng.randint(1, 99)}"
            elif style == 2:
                u = f"{first}{last}{rng.randint(1960, 2005)}"
            elif style == 3:
                u = f"{WORDS[rng.randint(len(WORDS))]}and{WORDS[rng.randint(len(WORDS))]}"
            elif style == 4:
                u = f"{first.lower()}_{WORDS[rng.randint(len(WORDS))]}{rng.randint(10, 999)}"
            else:
                u = "etsyuser" + "".join(rng.choice(list("abcdefghjkmnpqrstuvwxyz23456789"), 8))
            if u.casefold() not in self.seen:
                self.seen.add(u.casefold())
                return u


def _address(rng, country: str, state: str | None = None) -> dict:
    if country == "United States":
        states = list(US_STATES)
        if state is None:
            p = np.array([US_STATES[s][0] for s in states])
            state = states[rng.choice(len(states), p=p / p.sum())]
        _, _, prefix, cities = US_STATES[state]
        rest = "".join(str(rng.randint(10)) for _ in range(5 - len(prefix)))
        zipcode = prefix + rest
        if rng.rand() < 0.06:
            zipcode += f"-{rng.randint(10000):04d}"
        return {"state": state, "city": cities[rng.randint(len(cities))], "zip": zipcode}
    st, city, head = ABROAD[country][rng.randint(len(ABROAD[country]))]
    letters, digit = "ABDEFGHJLNPQRSTUWXYZ", lambda: str(rng.randint(10))
    letter = lambda: letters[rng.randint(len(letters))]
    zipcode = {"Canada": lambda: f"{head} {digit()}{letter()}{digit()}",
               "United Kingdom": lambda: f"{head} {digit()}{letter()}{letter()}",
               "Australia": lambda: f"{head}{digit()}{digit()}",
               "Germany": lambda: f"{head}{digit()}{digit()}{digit()}",
               "France": lambda: f"{head}{rng.randint(1, 21):02d}",
               "Netherlands": lambda: f"{head}{digit()}{digit()} {letter()}{letter()}",
               "Ireland": lambda: f"{head}{rng.randint(1, 9)} {letter()}{digit()}{letter()}{digit()}"}[country]()
    return {"state": st, "city": city, "zip": zipcode}


def _buyers(rng, names: _Names, days, weights) -> list[dict]:
    """Online buyers: when they first order, whether they come back, where they live."""
    out = []
    n = 8300
    firsts = rng.choice(len(days), size=n, p=weights)
    for i in range(n):
        name = names.person()
        country = COUNTRIES[rng.choice(len(COUNTRIES), p=COUNTRY_WEIGHTS)]
        kind = rng.choice(["once", "returning", "fan"], p=[0.72, 0.23, 0.05])
        out.append({"user": names.username(name), "name": name, "country": country,
                    "addr": _address(rng, country), "street": f"{rng.randint(1, 999)} {STREETS[rng.randint(len(STREETS))]}",
                    "apt": (f"Apt {rng.randint(1, 40)}" if rng.rand() < 0.15 else ""),
                    "first": days[firsts[i]], "gap": {"once": 0, "returning": 140, "fan": 60}[kind],
                    "stop": {"once": 1.0, "returning": 0.55, "fan": 0.25}[kind], "wholesale": False})
    for user, name in CAFES:  # cafés that buy mugs by the dozen, every couple of months
        out.append({"user": user, "name": name, "country": "United States",
                    "addr": _address(rng, "United States", "ME"), "street": f"{rng.randint(1, 300)} Commercial St",
                    "apt": "", "first": START + timedelta(days=int(rng.randint(10, 120))),
                    "gap": float(rng.choice([45, 60, 75])), "stop": 0.0, "wholesale": True})
    return out


def _order_days(rng, buyer) -> list[date]:
    d, out = buyer["first"], []
    while d <= END:
        out.append(d)
        if rng.rand() < buyer["stop"]:
            break
        d = d + timedelta(days=max(3, int(rng.exponential(buyer["gap"]))))
    return out


def _pick_listing(rng):
    w = np.array([x[2] for x in LISTINGS])
    return LISTINGS[rng.choice(len(LISTINGS), p=w / w.sum())]


def _line(rng, listing, qty: int | None = None) -> dict:
    key, title, _, lid, sku, colour_prop, sizes, ltype = listing
    size = list(sizes)[rng.choice(len(sizes), p=SIZE_WEIGHTS.get(key, [1.0]))]
    price = sizes[size]
    parts, sku_parts = [], [sku]
    colour = ""
    if colour_prop:
        colour = COLOURS[rng.choice(len(COLOURS), p=COLOUR_WEIGHTS)]
        parts.append(f"{colour_prop}:{colour}")
        sku_parts.append("".join(w[0] for w in colour.split()))
    if size:
        parts.append(f"Size:{size}")
        sku_parts.append(size.replace(" oz", "").upper()[:2])
    if key == "custom":
        a, b = FIRST[rng.randint(len(FIRST))], FIRST[rng.randint(len(FIRST))]
        parts.append(f"Personalization:{a} & {b} - {rng.randint(1, 13):02d}.{rng.randint(1, 29):02d}")
    if qty is None:
        r = rng.rand()
        qty = 1 if key == "custom" or r < 0.80 else (2 if r < 0.95 else int(rng.choice([3, 4])))
    return {"key": key, "title": title, "lid": lid, "sku": "-".join(sku_parts) if sku else "",
            "variations": ",".join(parts), "qty": qty, "price": price, "total": round(qty * price, 2),
            "discount": 0.0, "inperson_discount": 0.0, "ltype": ltype}


def _shipping(country: str, units: int, items: float) -> float:
    if country == "United States":
        return 0.0 if items >= 35 else round(6.95 + 2.0 * (units - 1), 2)
    if country == "Canada":
        return round(18.0 + 4.0 * (units - 1), 2)
    return round(24.0 + 6.0 * (units - 1), 2)


def _online_order(rng, buyer: dict, when: date, nth: int) -> dict:
    if buyer["wholesale"]:
        mug = LISTINGS[0]
        lines = [_line(rng, mug, int(rng.choice([6, 8, 12])))]
        if rng.rand() < 0.5:
            lines.append(_line(rng, LISTINGS[4], int(rng.choice([4, 6]))))
    else:
        n = int(rng.choice([1, 2, 3, 4], p=[0.70, 0.20, 0.07, 0.03]))
        lines = [_line(rng, _pick_listing(rng)) for _ in range(n)]
    gift = not buyer["wholesale"] and rng.rand() < 0.12
    country = buyer["country"]
    addr = _address(rng, country) if gift else buyer["addr"]
    items = sum(ln["total"] for ln in lines)
    units = sum(ln["qty"] for ln in lines)
    shipping = _shipping(country, units, items)
    # at most one coupon per order
    coupon = ""
    r = rng.rand()
    if any(a <= when <= b for a, b in BLACK_FRIDAY) and r < 0.45:
        coupon = "BLACKFRIDAY20"
    elif SUMMER[0] <= when <= SUMMER[1] and r < 0.18:
        coupon = "SUMMER15"
    elif nth == 0 and r < 0.09:
        coupon = "WELCOME10"
    elif nth > 0 and items >= 30 and r < 0.15:
        coupon = "THANKYOU5"
    if not coupon and shipping > 0 and rng.rand() < 0.06:
        coupon = "FREESHIP"
    ship_discount = 0.0
    if coupon in ("WELCOME10", "SUMMER15", "BLACKFRIDAY20"):
        for ln in lines:
            ln["discount"] = round(ln["total"] * COUPONS[coupon][1], 2)
    elif coupon == "THANKYOU5":  # $5 shared across the lines by value; the last line takes the rounding
        left = 5.0
        for ln in lines[:-1]:
            ln["discount"] = round(5.0 * ln["total"] / items, 2)
            left -= ln["discount"]
        lines[-1]["discount"] = round(left, 2)
    elif coupon == "FREESHIP":
        ship_discount, shipping = shipping, 0.0
    taxable = items - sum(ln["discount"] for ln in lines) + shipping
    tax = round(taxable * US_STATES[addr["state"]][1], 2) if country == "United States" else 0.0
    vat = round(taxable * VAT[country], 2) if country in VAT else 0.0
    paid = when + timedelta(days=int(rng.randint(1, 4))) if rng.rand() < 0.012 else when
    prep = int(rng.randint(14, 22)) if any(ln["key"] == "custom" for ln in lines) else int(rng.randint(1, 8))
    shipped = paid + timedelta(days=prep)
    written = country
    if rng.rand() < 0.025:
        variants = MESSY_COUNTRY[country]
        written = variants[rng.randint(len(variants))]
    return {"date": when, "paid": paid, "shipped": shipped if shipped <= END else None, "buyer": buyer["user"],
            "ship_name": (_Names(rng).person() if gift else buyer["name"]),
            "address1": (f"{rng.randint(1, 999)} {STREETS[rng.randint(len(STREETS))]}" if gift else buyer["street"]),
            "address2": "" if gift else buyer["apt"], "city": addr["city"], "state": addr["state"],
            "zip": addr["zip"], "country": written, "lines": lines, "coupon": coupon, "ship_discount": ship_discount,
            "shipping": shipping, "tax": tax, "vat": vat, "type": "online",
            "payment": "paypal" if rng.rand() < 0.22 else "online_cc", "location": ""}


def _market_orders(rng) -> list[dict]:
    """In-person sales: Saturdays at the farmers market (May-October) and the December craft fair."""
    out = []
    d = START
    while d <= END:
        market = d.weekday() == 5 and 5 <= d.month <= 10
        fair = d in FAIRS
        if market or fair:
            for _ in range(rng.poisson(34 if fair else 15)):
                n = int(rng.choice([1, 2, 3], p=[0.72, 0.22, 0.06]))
                lines = [_line(rng, _pick_listing(rng), 1) for _ in range(n)]
                if fair and n >= 2:
                    for ln in lines:
                        ln["inperson_discount"] = round(ln["total"] * 0.10, 2)
                out.append({"date": d, "paid": d, "shipped": None, "buyer": "", "ship_name": "", "address1": "",
                            "address2": "", "city": "", "state": "", "zip": "", "country": "", "lines": lines,
                            "coupon": "", "ship_discount": 0.0, "shipping": 0.0, "tax": 0.0, "vat": None,
                            "type": "in_person", "payment": "in_person",
                            "location": "Holiday Craft Fair" if fair else "Portland Farmers Market"})
        d += timedelta(days=1)
    return out


def write_shop(directory: str | Path) -> Path:
    """Write the export into `directory`; return its path."""
    rng = np.random.RandomState(SEED)
    names = _Names(rng)
    days, weights = _day_weights()
    orders = []
    for buyer in _buyers(rng, names, days, weights):
        for nth, d in enumerate(_order_days(rng, buyer)):
            orders.append(_online_order(rng, buyer, d, nth))
    orders += _market_orders(rng)
    orders.sort(key=lambda o: (o["date"], o["type"], o["buyer"]))
    order_id, txn = 3301557210, 3988124650
    rows = []
    for o in orders:
        order_id += int(rng.randint(40, 900))
        for ln in o["lines"]:
            txn += int(rng.randint(30, 1200))
            rows.append({
                "Sale Date": us_date(o["date"]), "Item Name": ln["title"], "Buyer": o["buyer"],
                "Quantity": str(ln["qty"]), "Price": f"{ln['price']:.2f}", "Coupon Code": o["coupon"],
                "Coupon Details": COUPONS[o["coupon"]][0] if o["coupon"] else "",
                "Discount Amount": money(ln["discount"]), "Shipping Discount": money(o["ship_discount"]),
                "Order Shipping": money(o["shipping"]), "Order Sales Tax": money(o["tax"]),
                "Item Total": f"{ln['total']:.2f}", "Currency": "USD", "Transaction ID": str(txn),
                "Listing ID": ln["lid"], "Date Paid": us_date(o["paid"]), "Date Shipped": us_date(o["shipped"]),
                "Ship Name": o["ship_name"], "Ship Address1": o["address1"], "Ship Address2": o["address2"],
                "Ship City": o["city"], "Ship State": o["state"], "Ship Zipcode": o["zip"],
                "Ship Country": o["country"], "Order ID": str(order_id), "Variations": ln["variations"],
                "Order Type": o["type"], "Listings Type": ln["ltype"], "Payment Type": o["payment"],
                "InPerson Discount": money(ln["inperson_discount"]) if o["type"] == "in_person" else "",
                "InPerson Location": o["location"],
                "VAT Paid by Buyer": "" if o["vat"] is None else money(o["vat"]), "SKU": ln["sku"],
                "_key": (o["date"], order_id, txn),
            })
    rows.sort(key=lambda r: r.pop("_key"), reverse=True)  # newest first
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
