"""Demo world generator: a shop's customers and order lines drawn from a known latent process.

`generate_demo(out_dir)` writes what a shop would export (``transactions.csv``,
``customers.csv``) and, apart under ``truth/``, what the models can never see: every
customer's latent parameters and what each one really buys in the 365 days after
``DEMO_AS_OF``. Model quality is measured against that truth.

The latent process ("buy till you die" with observable drivers)
-----------------------------------------------------------------
Time runs in days from 2024-01-01 (day 0); the as-of date 2025-12-31 is day 730 and the
truth window is (as_of, as_of + 365], days 731..1095.

* Acquisition: each customer's first order falls on day t0 — 35% from an exponential
  launch wave (mean 120 days), 65% uniform over the two years, so there is a steady
  inflow of new customers up to the as-of date. Customer numbers follow t0.
* Traits drawn first: country, gender, age, a main channel (web/app/store; younger
  customers lean to the app), a category taste ~ Dirichlet (sparse, nudged by gender),
  a spend level s ~ LogNormal(0, 0.6), a deal-seeker flag (20%: most of their orders
  are discounted, their spend level is lower) and a refund propensity.
* Purchase rate: lambda (orders per year) ~ Gamma(shape 1.3, scale 7.5), times a
  preferred-category factor (Grocery and Beauty shoppers buy more often). Gaps between
  orders are exponential with mean 1/lambda.
* Dropout: after each order the customer dies with probability p. p is drawn from
  Beta(1.1, 8) and then shifted on the logit scale by observable traits: store and app
  customers are more loyal, deal seekers churn more, higher spend levels churn less,
  Grocery/Beauty/Books are sticky and Electronics/Toys are not. On top of that, a
  refunded order makes the customer die right after it with probability 0.5.
  Dead customers never buy again, including in the truth window; alive customers keep
  following the same process through the truth window.
* Fading: the last three orders before a dropout fade in. Their gaps are stretched
  (x2, x3, x4 for the order that turns out to be the last) and their baskets
  shrink (fewer lines, smaller quantities, cheaper products). This is signal beyond
  recency and frequency that a churn model with behaviour features can pick up.
* Baskets: 1 + Poisson lines per order, growing with the spend level. Each line's base
  product comes from the customer's category taste, then a popularity-weighted draw
  within the category tilted towards pricier products for higher spend levels.
  Products form a fixed complement graph (phone -> case, pasta -> tomato sauce): an
  order's first line repeats the previous order's anchor product (replenishment, mostly
  Grocery/Beauty) or is one of its complements with probability 0.55, and
  further lines in a basket are complements of the first line with probability 0.5.
  Item-item co-purchase therefore beats plain popularity on a time split.
* Spend: line amount = list price x quantity x (1 - discount). Spend level, category
  mix and basket size make value heavy-tailed: the top 20% of customers by future
  revenue hold far more than half of it.
* Status: ~1.3% of orders are cancelled and ~1% refunded (all lines of an order share
  its status).

Truth files: ``truth/future_orders.csv`` holds one row per completed order line in the
truth window (customer_id, order_date, amount, product, category).
``truth/customers_latent.csv`` holds per customer purchase_rate_per_year,
dropout_probability (the per-order p above, before refund-triggered dropout),
spend_level, alive_at_as_of, alive_at_truth_end, preferred_category, preferred_channel,
deal_seeker, refund_rate, first_order_date, dropout_date (the last order before dying,
empty if still alive at the end of the window), orders_observed and orders_future
(including cancelled and refunded ones).
* Dirt: about 0.2% of transaction rows are spoiled on purpose — unparseable dates,
  negative amounts or a missing customer id — so the load report has something to say.

Everything is drawn from one ``numpy.random.Generator(PCG64(seed))`` in a fixed order and
written with an explicit row order, so the same seed gives byte-identical files.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv

from tools.progress import Progress, silent

DEMO_AS_OF = date(2025, 12, 31)
HISTORY_START = date(2024, 1, 1)
TRUTH_DAYS = 365

_AS_OF_DAY = (DEMO_AS_OF - HISTORY_START).days          # 730
_HORIZON = _AS_OF_DAY + TRUTH_DAYS + 1                   # purchase times t < 1096 are kept

CHANNELS = ("web", "app", "store")
STATUSES = ("completed", "cancelled", "refunded")

# Per category: share of taste, purchase-rate factor, logit shift of the dropout
# probability (negative = stickier), extra quantity (Poisson mean), replenishment
# probability, and products as (name, list price, complements).
CATALOG: dict[str, dict] = {
    "Electronics": dict(share=0.14, rate=0.75, churn_shift=0.35, qty=0.05, repeat=0.03, products=[
        ("Smartphone X12", 699.00, ("Phone Case", "Screen Protector", "Wireless Earbuds")),
        ("Phone Case", 19.99, ("Screen Protector", "USB-C Charger")),
        ("Screen Protector", 12.99, ("Phone Case", "Power Bank")),
        ("USB-C Charger", 24.99, ("Power Bank", "Phone Case")),
        ("Wireless Earbuds", 89.99, ("Smartwatch", "Power Bank", "Bluetooth Speaker")),
        ("Bluetooth Speaker", 59.99, ("Power Bank", "Wireless Earbuds")),
        ("Laptop Pro 14", 1299.00, ("Laptop Sleeve", "Wireless Mouse", "4K Monitor 27-inch")),
        ("Laptop Sleeve", 29.99, ("Wireless Mouse", "Laptop Backpack")),
        ("Wireless Mouse", 24.99, ("Mechanical Keyboard", "Laptop Sleeve")),
        ("Mechanical Keyboard", 89.99, ("Wireless Mouse", "4K Monitor 27-inch")),
        ("4K Monitor 27-inch", 329.00, ("Mechanical Keyboard", "Wireless Mouse")),
        ("Smartwatch", 199.00, ("Wireless Earbuds", "Running Shoes")),
        ("Power Bank", 34.99, ("USB-C Charger", "Phone Case")),
        ("Rechargeable Batteries AA", 14.99, ("Remote Control Car", "Bike Lights")),
    ]),
    "Home": dict(share=0.14, rate=1.0, churn_shift=0.0, qty=0.2, repeat=0.04, products=[
        ("Coffee Maker", 79.99, ("Ceramic Mug Set", "Coffee Beans 1kg")),
        ("Ceramic Mug Set", 24.99, ("Coffee Beans 1kg", "Coffee Maker")),
        ("Chef's Knife", 49.99, ("Cutting Board", "Non-stick Pan")),
        ("Cutting Board", 19.99, ("Chef's Knife", "Extra Virgin Olive Oil")),
        ("Non-stick Pan", 39.99, ("Chef's Knife", "Extra Virgin Olive Oil", "Home Cooking Made Simple")),
        ("Bath Towel Set", 34.99, ("Cotton Bed Sheets", "Shower Gel")),
        ("Cotton Bed Sheets", 59.99, ("Duvet", "Throw Pillow")),
        ("Duvet", 89.99, ("Cotton Bed Sheets", "Throw Pillow")),
        ("Scented Candle", 14.99, ("Throw Pillow", "Table Lamp")),
        ("Table Lamp", 44.99, ("Scented Candle", "Storage Baskets")),
        ("Storage Baskets", 22.99, ("Vacuum Cleaner", "Scented Candle")),
        ("Vacuum Cleaner", 199.00, ("Storage Baskets", "Bath Towel Set")),
        ("Throw Pillow", 19.99, ("Scented Candle", "Duvet")),
    ]),
    "Fashion": dict(share=0.15, rate=0.9, churn_shift=0.1, qty=0.15, repeat=0.04, products=[
        ("Denim Jeans", 59.99, ("Leather Belt", "Cotton T-Shirt")),
        ("Cotton T-Shirt", 19.99, ("Denim Jeans", "Hoodie")),
        ("Hoodie", 44.99, ("Cotton T-Shirt", "Sneakers")),
        ("Sneakers", 79.99, ("Wool Socks 3-Pack", "Hoodie")),
        ("Leather Belt", 29.99, ("Denim Jeans", "Leather Handbag")),
        ("Wool Socks 3-Pack", 14.99, ("Sneakers", "Hiking Boots")),
        ("Rain Jacket", 99.99, ("Scarf", "Hiking Boots")),
        ("Summer Dress", 49.99, ("Sunglasses", "Leather Handbag")),
        ("Sunglasses", 39.99, ("Summer Dress", "Sunscreen SPF50")),
        ("Leather Handbag", 129.00, ("Scarf", "Leather Belt")),
        ("Scarf", 24.99, ("Rain Jacket", "Leather Handbag")),
        ("Laptop Backpack", 69.99, ("Laptop Sleeve", "Water Bottle")),
    ]),
    "Beauty": dict(share=0.13, rate=1.3, churn_shift=-0.3, qty=0.5, repeat=0.25, products=[
        ("Face Moisturizer", 24.99, ("Vitamin C Serum", "Gentle Cleanser")),
        ("Vitamin C Serum", 29.99, ("Face Moisturizer", "Sunscreen SPF50")),
        ("Gentle Cleanser", 14.99, ("Face Moisturizer", "Vitamin C Serum")),
        ("Sunscreen SPF50", 17.99, ("Lip Balm", "Sunglasses")),
        ("Shampoo", 9.99, ("Conditioner", "Hair Dryer")),
        ("Conditioner", 9.99, ("Shampoo", "Shower Gel")),
        ("Shower Gel", 6.99, ("Shampoo", "Bath Towel Set")),
        ("Lip Balm", 4.99, ("Hand Cream", "Mascara")),
        ("Mascara", 16.99, ("Lip Balm", "Eau de Parfum")),
        ("Eau de Parfum", 79.99, ("Mascara", "Hand Cream")),
        ("Hand Cream", 8.99, ("Lip Balm", "Shower Gel")),
        ("Hair Dryer", 59.99, ("Shampoo", "Conditioner")),
    ]),
    "Sports": dict(share=0.11, rate=0.9, churn_shift=0.0, qty=0.2, repeat=0.04, products=[
        ("Running Shoes", 119.00, ("Running Shorts", "Water Bottle", "Smartwatch")),
        ("Running Shorts", 29.99, ("Running Shoes", "Water Bottle")),
        ("Yoga Mat", 29.99, ("Yoga Blocks", "Resistance Bands")),
        ("Yoga Blocks", 17.99, ("Yoga Mat", "Water Bottle")),
        ("Resistance Bands", 19.99, ("Dumbbell Set", "Yoga Mat")),
        ("Dumbbell Set", 89.99, ("Resistance Bands", "Protein Powder 1kg")),
        ("Water Bottle", 14.99, ("Protein Bars 12-Pack", "Running Shorts")),
        ("Tennis Racket", 109.00, ("Tennis Balls 4-Pack", "Water Bottle")),
        ("Tennis Balls 4-Pack", 7.99, ("Tennis Racket", "Water Bottle")),
        ("Cycling Helmet", 59.99, ("Bike Lights", "Water Bottle")),
        ("Bike Lights", 24.99, ("Cycling Helmet", "Rechargeable Batteries AA")),
        ("Hiking Boots", 139.00, ("Wool Socks 3-Pack", "Rain Jacket")),
    ]),
    "Books": dict(share=0.11, rate=1.0, churn_shift=-0.15, qty=0.1, repeat=0.02, products=[
        ("The Silent Harbor", 16.99, ("Midnight in Lisbon", "Reading Light")),
        ("Midnight in Lisbon", 14.99, ("The Last Orchard", "The Silent Harbor")),
        ("The Last Orchard", 15.99, ("Mystery at Elm Street", "Midnight in Lisbon")),
        ("Mystery at Elm Street", 13.99, ("The Silent Harbor", "Bookmarks Set")),
        ("Practical Python Projects", 39.99, ("The Mindful Marketer", "Mechanical Keyboard")),
        ("The Mindful Marketer", 24.99, ("Practical Python Projects", "Bookmarks Set")),
        ("Home Cooking Made Simple", 29.99, ("Chef's Knife", "Extra Virgin Olive Oil")),
        ("World Atlas 2025", 34.99, ("Travel Guide: Italy", "Reading Light")),
        ("Travel Guide: Italy", 19.99, ("World Atlas 2025", "Sunglasses")),
        ("Kids' Bedtime Stories", 12.99, ("Plush Bear", "Coloring Book")),
        ("The Garden Year", 22.99, ("Bookmarks Set", "Scented Candle")),
        ("Reading Light", 17.99, ("Bookmarks Set", "The Silent Harbor")),
        ("Bookmarks Set", 5.99, ("Reading Light", "The Last Orchard")),
    ]),
    "Toys": dict(share=0.10, rate=0.8, churn_shift=0.3, qty=0.15, repeat=0.02, products=[
        ("Building Blocks Set", 49.99, ("Building Blocks Expansion", "Wooden Train Set")),
        ("Building Blocks Expansion", 24.99, ("Building Blocks Set", "Kids' Science Kit")),
        ("Plush Bear", 19.99, ("Kids' Bedtime Stories", "Stuffed Bunny")),
        ("Stuffed Bunny", 17.99, ("Plush Bear", "Coloring Book")),
        ("Wooden Train Set", 59.99, ("Building Blocks Set", "Puzzle 1000 Pieces")),
        ("Puzzle 1000 Pieces", 17.99, ("Board Game Night Classic", "Card Game Duel")),
        ("Remote Control Car", 69.99, ("Rechargeable Batteries AA", "Kids' Science Kit")),
        ("Doll House", 89.99, ("Stuffed Bunny", "Art & Craft Kit")),
        ("Board Game Night Classic", 34.99, ("Card Game Duel", "Puzzle 1000 Pieces")),
        ("Card Game Duel", 12.99, ("Board Game Night Classic", "Puzzle 1000 Pieces")),
        ("Art & Craft Kit", 24.99, ("Coloring Book", "Kids' Science Kit")),
        ("Kids' Science Kit", 39.99, ("Art & Craft Kit", "Building Blocks Expansion")),
        ("Coloring Book", 7.99, ("Art & Craft Kit", "Kids' Bedtime Stories")),
    ]),
    "Grocery": dict(share=0.12, rate=1.6, churn_shift=-0.45, qty=0.9, repeat=0.35, products=[
        ("Coffee Beans 1kg", 19.99, ("Almond Milk", "Ceramic Mug Set", "Dark Chocolate")),
        ("Green Tea 50 Bags", 5.99, ("Dark Chocolate", "Granola")),
        ("Extra Virgin Olive Oil", 11.99, ("Pasta 500g", "Tomato Sauce")),
        ("Pasta 500g", 2.49, ("Tomato Sauce", "Extra Virgin Olive Oil")),
        ("Tomato Sauce", 3.49, ("Pasta 500g", "Basmati Rice 2kg")),
        ("Basmati Rice 2kg", 6.99, ("Extra Virgin Olive Oil", "Tomato Sauce")),
        ("Dark Chocolate", 3.49, ("Coffee Beans 1kg", "Green Tea 50 Bags")),
        ("Granola", 5.49, ("Almond Milk", "Protein Bars 12-Pack")),
        ("Protein Bars 12-Pack", 19.99, ("Protein Powder 1kg", "Water Bottle")),
        ("Protein Powder 1kg", 34.99, ("Protein Bars 12-Pack", "Almond Milk")),
        ("Almond Milk", 2.99, ("Granola", "Coffee Beans 1kg")),
        ("Sparkling Water 6-Pack", 4.99, ("Dark Chocolate", "Pasta 500g")),
    ]),
}

# Per country: share of customers, cities with weights, female/male first names, last names.
COUNTRIES: dict[str, dict] = {
    "United States": dict(share=0.34, cities=[
        ("New York", 8), ("Los Angeles", 5), ("Chicago", 4), ("Houston", 3), ("Phoenix", 2),
        ("Seattle", 2), ("Boston", 2), ("Denver", 2), ("Atlanta", 2), ("Austin", 2)],
        female=["Emily", "Jessica", "Ashley", "Sarah", "Jennifer", "Olivia", "Madison", "Hannah",
                "Megan", "Lauren", "Rachel", "Abigail", "Emma", "Grace"],
        male=["Michael", "James", "David", "Christopher", "Matthew", "Joshua", "Daniel", "Andrew",
              "Ryan", "Tyler", "Brandon", "Jacob", "Ethan", "Logan"],
        last=["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson",
              "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Harris", "Clark"]),
    "United Kingdom": dict(share=0.15, cities=[
        ("London", 10), ("Manchester", 3), ("Birmingham", 3), ("Leeds", 2), ("Glasgow", 2),
        ("Bristol", 2), ("Liverpool", 2), ("Edinburgh", 2)],
        female=["Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Charlotte", "Lucy", "Chloe",
                "Ella", "Poppy", "Freya"],
        male=["Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "William", "James", "Alfie",
              "Oscar", "Henry", "Callum"],
        last=["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Evans", "Thomas",
              "Roberts", "Walker", "Wright", "Robinson", "Hughes", "Edwards", "O'Brien"]),
    "Germany": dict(share=0.14, cities=[
        ("Berlin", 6), ("Hamburg", 4), ("München", 4), ("Köln", 3), ("Frankfurt am Main", 3),
        ("Stuttgart", 2), ("Düsseldorf", 2), ("Leipzig", 2)],
        female=["Anna", "Lena", "Julia", "Laura", "Katharina", "Sophie", "Lea", "Marie", "Sabine",
                "Hannah", "Jana", "Franziska"],
        male=["Lukas", "Jonas", "Felix", "Maximilian", "Leon", "Paul", "Tobias", "Stefan",
              "Florian", "Jan", "Niklas", "Matthias"],
        last=["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
              "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder"]),
    "France": dict(share=0.11, cities=[
        ("Paris", 8), ("Lyon", 3), ("Marseille", 3), ("Toulouse", 2), ("Nice", 2), ("Nantes", 2),
        ("Bordeaux", 2), ("Lille", 2)],
        female=["Camille", "Léa", "Manon", "Chloé", "Inès", "Emma", "Sarah", "Juliette", "Clara",
                "Élodie", "Margaux", "Louise"],
        male=["Lucas", "Hugo", "Louis", "Gabriel", "Nathan", "Thomas", "Théo", "Antoine",
              "Julien", "Mathieu", "Maxime", "Nicolas"],
        last=["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
              "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garnier"]),
    "Spain": dict(share=0.07, cities=[
        ("Madrid", 6), ("Barcelona", 5), ("Valencia", 3), ("Sevilla", 2), ("Zaragoza", 2),
        ("Málaga", 2), ("Bilbao", 2)],
        female=["María", "Lucía", "Paula", "Laura", "Carmen", "Sofía", "Marta", "Elena", "Ana",
                "Claudia", "Alba", "Irene"],
        male=["Hugo", "Pablo", "Alejandro", "Javier", "Daniel", "Carlos", "Sergio", "Manuel",
              "Diego", "Álvaro", "Adrián", "Jorge"],
        last=["García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
              "Pérez", "Gómez", "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno"]),
    "Italy": dict(share=0.07, cities=[
        ("Roma", 6), ("Milano", 6), ("Napoli", 3), ("Torino", 3), ("Bologna", 2), ("Firenze", 2),
        ("Palermo", 2), ("Genova", 2)],
        female=["Giulia", "Sofia", "Aurora", "Chiara", "Francesca", "Martina", "Alessia", "Sara",
                "Valentina", "Elisa", "Federica", "Beatrice"],
        male=["Francesco", "Alessandro", "Lorenzo", "Matteo", "Andrea", "Marco", "Luca",
              "Giuseppe", "Davide", "Riccardo", "Stefano", "Simone"],
        last=["Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
              "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Costa"]),
    "Netherlands": dict(share=0.05, cities=[
        ("Amsterdam", 6), ("Rotterdam", 4), ("Den Haag", 3), ("Utrecht", 3), ("Eindhoven", 2),
        ("Groningen", 2)],
        female=["Emma", "Julia", "Sanne", "Lotte", "Fleur", "Anouk", "Sophie", "Lisa", "Eva",
                "Femke", "Noor", "Iris"],
        male=["Daan", "Sem", "Lars", "Bram", "Thijs", "Ruben", "Jesse", "Milan", "Stijn", "Joris",
              "Niels", "Sven"],
        last=["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
              "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"]),
    "Canada": dict(share=0.07, cities=[
        ("Toronto", 7), ("Montréal", 5), ("Vancouver", 4), ("Calgary", 2), ("Ottawa", 2),
        ("Edmonton", 2), ("Québec", 1), ("Winnipeg", 1)],
        female=["Emma", "Olivia", "Charlotte", "Chloé", "Amélie", "Sophie", "Emily", "Madison",
                "Avery", "Gabrielle", "Maya", "Zoé"],
        male=["Liam", "Noah", "William", "Benjamin", "Félix", "Samuel", "Jacob", "Nathan",
              "Logan", "Owen", "Étienne", "Ethan"],
        last=["Smith", "Tremblay", "Brown", "Martin", "Roy", "Wilson", "Gagnon", "MacDonald",
              "Campbell", "Côté", "Bouchard", "Anderson", "Gauthier", "Lee", "Morin"]),
}

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_BAD_DATES = ("2025-13-45", "not a date", "2024-02-30", "31/31/2025", "??")
_DIRTY_KINDS = ("unparseable_date", "negative_amount", "missing_customer_id")

# Process constants (see the module docstring).
_LAUNCH_SHARE, _LAUNCH_MEAN_DAYS = 0.35, 120.0
_RATE_SHAPE, _RATE_SCALE = 1.3, 7.5
_DROPOUT_A, _DROPOUT_B = 2.0, 14.0
_CHANNEL_CHURN_SHIFT = {"web": 0.0, "app": -1.0, "store": -1.3}
_DEAL_SEEKER_SHARE, _DEAL_SEEKER_CHURN_SHIFT = 0.2, 1.2
_SPEND_CHURN_SLOPE = -0.7
_REFUND_DROPOUT = 0.5
_CANCEL_RATE = 0.013
_FADE_ORDERS = 3
_FADE_GAP = 1.0          # gap multiplier 1 + phase (x2, x3, x4 for the last order)
_FADE_BASKET = 0.25      # basket shrink per fade phase
_COMPLEMENT_NEXT = 0.55  # first line of the next order is a complement of the last anchor
_COMPLEMENT_BASKET = 0.5  # further lines are complements of the first line
_DIRTY_SHARE = 0.002
_CHUNK = 2_000_000
_PICK_SLOTS = 4096


def _ascii(name: str) -> str:
    """Lower-case ASCII form of a name for an email address."""
    name = name.replace("ß", "ss").replace("'", "").replace(" ", "")
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


def _sql_list(values) -> str:
    """A DuckDB list literal of strings."""
    return "[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in values) + "]"


def _catalog_arrays() -> dict:
    """Flatten the catalog into numpy arrays: products, prices, complements, per-category data."""
    cats = list(CATALOG)
    names, cat_of, prices = [], [], []
    for ci, c in enumerate(cats):
        for name, price, _ in CATALOG[c]["products"]:
            names.append(name)
            cat_of.append(ci)
            prices.append(price)
    index = {n: i for i, n in enumerate(names)}
    if len(index) != len(names):
        raise ValueError("The demo catalog lists a product name twice; product names must be unique.")
    # Complement choice as a lookup over ten slots: weights 5/3/2 (or 6/4 for two complements).
    comp = np.zeros((len(names), 10), dtype=np.int16)
    for c in cats:
        for name, _, complements in CATALOG[c]["products"]:
            missing = [x for x in complements if x not in index]
            if missing:
                raise ValueError(f"The demo catalog names complement(s) {missing} of {name!r} that are not products.")
            slots = {1: (10,), 2: (6, 4), 3: (5, 3, 2)}[len(complements)]
            comp[index[name]] = np.repeat([index[x] for x in complements], slots)
    # Within each category, products in price order with popularity weights (listed order is
    # popularity order), as a lookup over _PICK_SLOTS quantiles: slot -> product.
    pick = np.zeros((len(cats), _PICK_SLOTS), dtype=np.int16)
    mids = (np.arange(_PICK_SLOTS) + 0.5) / _PICK_SLOTS
    for ci, c in enumerate(cats):
        idx = np.array([index[p[0]] for p in CATALOG[c]["products"]])
        pop = 1.0 / np.arange(1, len(idx) + 1) ** 0.6
        by_price = np.argsort(np.array(prices)[idx], kind="stable")
        cdf = np.cumsum(pop[by_price]) / pop.sum()
        pick[ci] = idx[by_price][np.minimum(np.searchsorted(cdf, mids), len(idx) - 1)]
    return dict(
        categories=cats, names=names, cat_of=np.array(cat_of, dtype=np.int8),
        price_cents=np.round(np.array(prices) * 100).astype(np.int64),
        comp=comp, pick=pick,
        share=np.array([CATALOG[c]["share"] for c in cats]),
        rate=np.array([CATALOG[c]["rate"] for c in cats]),
        churn_shift=np.array([CATALOG[c]["churn_shift"] for c in cats]),
        qty=np.array([CATALOG[c]["qty"] for c in cats]),
        repeat=np.array([CATALOG[c]["repeat"] for c in cats]),
    )


def _group_positions(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For groups of the given sizes laid end to end: each group's start and each item's position in its group."""
    starts = np.cumsum(counts) - counts
    pos = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return starts, pos


def _draw_customers(rng: np.random.Generator, n: int, cat: dict) -> dict:
    """Acquisition time and latent traits of every customer."""
    launch = rng.random(n) < _LAUNCH_SHARE
    t0 = np.where(launch, rng.exponential(_LAUNCH_MEAN_DAYS, n), rng.uniform(0, _AS_OF_DAY + 1, n))
    t0 = np.where(t0 >= _AS_OF_DAY + 1, rng.uniform(0, _AS_OF_DAY + 1, n), t0)
    t0 = np.sort(t0)  # customer numbers follow the first order

    countries = list(COUNTRIES)
    country = rng.choice(len(countries), n, p=np.array([COUNTRIES[c]["share"] for c in countries]))
    gender = rng.choice(3, n, p=[0.49, 0.48, 0.03])  # F, M, unspecified
    age = np.clip(np.round(rng.normal(40, 13, n)), 18, 85).astype(np.int16)

    # Main channel: younger customers lean to the app.
    young = age < 35
    u = rng.random(n)
    p_app = np.where(young, 0.40, 0.22)
    p_store = np.where(young, 0.12, 0.20)
    channel = np.where(u < p_app, 1, np.where(u < p_app + p_store, 2, 0)).astype(np.int8)

    # Category taste: sparse Dirichlet, nudged by gender.
    k = len(cat["categories"])
    alpha = np.tile(cat["share"] * k * 0.35, (n, 1))
    ci = {c: i for i, c in enumerate(cat["categories"])}
    alpha[gender == 0, ci["Beauty"]] *= 2.0
    alpha[gender == 0, ci["Fashion"]] *= 1.4
    alpha[gender == 1, ci["Electronics"]] *= 1.6
    alpha[gender == 1, ci["Sports"]] *= 1.4
    taste = rng.gamma(alpha)
    taste /= taste.sum(axis=1, keepdims=True)
    preferred = taste.argmax(axis=1).astype(np.int8)

    deal = rng.random(n) < _DEAL_SEEKER_SHARE
    spend = rng.lognormal(0.0, 0.6, n) * np.where(deal, 0.7, 1.0)
    refund_rate = np.where(rng.random(n) < 0.1, 0.08, 0.008)

    rate_year = rng.gamma(_RATE_SHAPE, _RATE_SCALE, n) * cat["rate"][preferred]
    base_p = rng.beta(_DROPOUT_A, _DROPOUT_B, n)
    shift = (np.array([_CHANNEL_CHURN_SHIFT[c] for c in CHANNELS])[channel]
             + cat["churn_shift"][preferred]
             + np.where(deal, _DEAL_SEEKER_CHURN_SHIFT, 0.0)
             + _SPEND_CHURN_SLOPE * np.log(spend))
    logit = np.log(base_p) - np.log1p(-base_p) + shift
    p = np.clip(1.0 / (1.0 + np.exp(-logit)), 1e-6, 0.98)

    # Orders until dropout: the geometric count from p, cut short by a refund that triggers
    # dropout. Refund triggers are independent of time, so both are known up front.
    n_geo = rng.geometric(p)
    trigger = refund_rate * _REFUND_DROPOUT
    k_ref = rng.geometric(trigger)
    n_total = np.minimum(n_geo, k_ref)
    refund_dropout = k_ref < n_geo

    return dict(t0=t0, country=country, gender=gender, age=age, channel=channel, taste=taste,
                preferred=preferred, deal=deal, spend=spend, refund_rate=refund_rate,
                rate_year=rate_year, p=p, n_total=n_total, refund_dropout=refund_dropout)


def _purchase_times(rng: np.random.Generator, cust: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every order up to the end of the truth window: (customer, order number from 1, time in days), sorted by customer then order."""
    t0, n_total = cust["t0"], cust["n_total"]
    lam = cust["rate_year"] / 365.0
    n = len(t0)
    out_c = [np.arange(n, dtype=np.int32)]
    out_k = [np.ones(n, dtype=np.int32)]
    out_t = [t0]
    k_done = np.ones(n, dtype=np.int64)
    t_last = t0.copy()
    active = np.flatnonzero(n_total > 1)
    # Blocks sized to cover the rest of the window with high probability; the few customers
    # a block does not carry to the end get another block.
    while active.size:
        mu = lam[active] * (_HORIZON - t_last[active])
        size = np.minimum(n_total[active] - k_done[active], np.ceil(mu + 3 * np.sqrt(mu) + 3)).astype(np.int64)
        starts, pos = _group_positions(size)
        rep = np.repeat(active, size)
        k = np.repeat(k_done[active], size) + 1 + pos
        phase = np.clip(_FADE_ORDERS - (n_total[rep] - k), 0, _FADE_ORDERS)
        gaps = rng.exponential(1.0, len(rep)) / lam[rep] * (1.0 + _FADE_GAP * phase)
        cum = np.cumsum(gaps)
        t = cum - np.repeat(cum[starts] - gaps[starts], size) + np.repeat(t_last[active], size)
        keep = t < _HORIZON
        out_c.append(rep[keep].astype(np.int32))
        out_k.append(k[keep].astype(np.int32))
        out_t.append(t[keep])
        ends = starts + size - 1
        t_last[active] = t[ends]
        k_done[active] += size
        active = active[(t[ends] < _HORIZON) & (k_done[active] < n_total[active])]
    c = np.concatenate(out_c)
    order = np.argsort(c, kind="stable")
    return c[order], np.concatenate(out_k)[order], np.concatenate(out_t)[order]


def _orders_and_lines(rng: np.random.Generator, cust: dict, cat: dict, progress: Progress) -> dict:
    """Order-level and line-level attributes for every purchase event."""
    oc, ok, ot = _purchase_times(rng, cust)
    progress("Demo: purchase times", 0.35)
    n_orders = len(oc)
    day = np.floor(ot).astype(np.int32)
    del ot
    n_total = cust["n_total"][oc]
    phase = np.clip(_FADE_ORDERS - (n_total - ok), 0, _FADE_ORDERS).astype(np.int8)
    last = ok == n_total

    # Channel: the main channel four times in five.
    u = rng.random(n_orders, dtype=np.float32)
    other = rng.choice(3, n_orders, p=[0.6, 0.3, 0.1]).astype(np.int8)
    channel = np.where(u < 0.8, cust["channel"][oc], other)

    # Status: a refund that triggers dropout is the last order; other refunds come at the
    # conditional rate given no trigger.
    r = cust["refund_rate"][oc]
    r_cond = r * (1 - _REFUND_DROPOUT) / (1 - r * _REFUND_DROPOUT)
    u = rng.random(n_orders, dtype=np.float32)
    status = np.where(u < r_cond, 2, np.where(u < r_cond + _CANCEL_RATE, 1, 0)).astype(np.int8)
    status[last & cust["refund_dropout"][oc]] = 2

    # Discount: deal seekers get one on most orders, everyone else rarely.
    deal = cust["deal"][oc]
    u = rng.random(n_orders, dtype=np.float32)
    has_disc = u < np.where(deal, 0.75, 0.08)
    u = rng.random(n_orders, dtype=np.float32)
    disc = np.where(deal, 0.15 + 0.25 * u, 0.05 + 0.15 * u)
    disc = np.where(has_disc, np.round(disc, 2), 0.0).astype(np.float32)

    spend = cust["spend"][oc]
    basket = 0.62 * spend ** 0.4 * (1.0 - _FADE_BASKET * phase)
    n_lines = (1 + np.minimum(rng.poisson(basket), 7)).astype(np.int64)
    del basket
    progress("Demo: orders", 0.45)

    # Lines.
    starts, pos = _group_positions(n_lines)
    lo = np.repeat(np.arange(n_orders, dtype=np.int32), n_lines)
    n_lines_total = len(lo)
    lc = oc[lo]

    # Base product: category from the customer's taste, product within the category tilted
    # to pricier items for high spend levels (and cheaper ones while fading).
    cum_taste = np.cumsum(cust["taste"], axis=1).astype(np.float32)
    cum_taste[:, -1] = 1.0
    u_cat = rng.random(n_lines_total, dtype=np.float32)
    base_cat = np.empty(n_lines_total, dtype=np.int8)
    for s in range(0, n_lines_total, _CHUNK):
        e = min(s + _CHUNK, n_lines_total)
        base_cat[s:e] = (u_cat[s:e, None] > cum_taste[lc[s:e], :-1]).sum(axis=1)
    del cum_taste, u_cat
    tilt = (0.9 * np.log(spend[lo]) - 0.35 * phase[lo]).astype(np.float32)
    u = rng.random(n_lines_total, dtype=np.float32) ** np.exp(-tilt)
    del tilt
    base = cat["pick"][base_cat, np.minimum(u * _PICK_SLOTS, _PICK_SLOTS - 1).astype(np.int32)]
    del u, base_cat

    def complement(anchor: np.ndarray, u_c: np.ndarray) -> np.ndarray:
        return cat["comp"][anchor, np.minimum(u_c * 10, 9).astype(np.int32)]

    product = base.copy()
    # First line of an order: replenish or complement the previous order's anchor.
    first = starts
    anchor_prev = np.empty(n_orders, dtype=np.int16)
    anchor_prev[1:] = base[first[:-1]]
    has_prev = ok > 1
    anchor_prev[~has_prev] = 0
    u = rng.random(n_orders, dtype=np.float32)
    u2 = rng.random(n_orders, dtype=np.float32)
    rep_p = cat["repeat"][cat["cat_of"][anchor_prev]]
    do_repeat = has_prev & (u < rep_p)
    do_comp = has_prev & ~do_repeat & (u < rep_p + _COMPLEMENT_NEXT)
    first_product = base[first]
    first_product = np.where(do_repeat, anchor_prev, first_product)
    first_product = np.where(do_comp, complement(anchor_prev, u2), first_product)
    product[first] = first_product
    # Further lines: complements of the first line.
    rest = np.flatnonzero(pos > 0)
    u = rng.random(len(rest), dtype=np.float32)
    u2 = rng.random(len(rest), dtype=np.float32)
    anchor = product[first][lo[rest]]
    product[rest] = np.where(u < _COMPLEMENT_BASKET, complement(anchor, u2), base[rest])
    del base, anchor, rest
    progress("Demo: products", 0.6)

    pcat = cat["cat_of"][product]
    qty_mean = cat["qty"][pcat] * np.sqrt(spend[lo]) * (1.0 - _FADE_BASKET * phase[lo])
    quantity = (1 + np.minimum(rng.poisson(qty_mean), 11)).astype(np.int16)
    del qty_mean
    cents = np.round(cat["price_cents"][product] * quantity * (1.0 - disc[lo].astype(np.float64))).astype(np.int64)

    return dict(oc=oc, ok=ok, day=day, channel=channel, status=status, starts=starts,
                n_lines=n_lines, lo=lo, product=product, pcat=pcat, quantity=quantity, cents=cents)


def _id_strings(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded ids like C000042 for many numbers at once, built digit by digit in numpy."""
    m, w = len(numbers), len(prefix) + width
    buf = np.empty((m, w), dtype=np.uint8)
    buf[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
    x = numbers.astype(np.int64)
    for j in range(w - 1, len(prefix) - 1, -1):
        x, digit = np.divmod(x, 10)
        buf[:, j] = digit + 48
    offsets = np.arange(m + 1, dtype=np.int64) * w
    if offsets[-1] < 2**31:
        return pa.Array.from_buffers(pa.string(), m, [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(buf)])
    return pa.Array.from_buffers(pa.large_string(), m, [None, pa.py_buffer(offsets), pa.py_buffer(buf)])


def _labels(codes: np.ndarray, values, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    """A string column as codes into a small list of values (written out as the values)."""
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=mask), pa.array(list(values), type=pa.string()))


def _money(cents: np.ndarray) -> pa.Array:
    """Amounts in cents as a decimal(14, 2) column, so the CSV shows exactly two decimals."""
    raw = np.empty((len(cents), 2), dtype=np.int64)
    raw[:, 0] = cents
    raw[:, 1] = cents >> 63  # sign extension into the high word of the 128-bit value
    return pa.Array.from_buffers(pa.decimal128(14, 2), len(cents), [None, pa.py_buffer(raw)])


def _dates(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Day offsets from HISTORY_START as a date column."""
    epoch = (HISTORY_START - date(1970, 1, 1)).days
    arr = pa.array((days.astype(np.int64) + epoch).astype(np.int32), mask=mask)
    return arr.view(pa.date32())


def _line_index(starts: np.ndarray, counts: np.ndarray, orders: np.ndarray) -> np.ndarray:
    """Indices of the lines of the given orders, order by order."""
    cnt = counts[orders]
    _, pos = _group_positions(cnt)
    return np.repeat(starts[orders], cnt) + pos


def _write_csv(table: pa.Table, path: Path) -> None:
    """Write a table as a plain CSV with a header (no value needs quoting; pyarrow errors if one would)."""
    with open(path, "wb") as f:
        f.write((",".join(table.column_names) + "\n").encode())
        pcsv.write_csv(table, f, pcsv.WriteOptions(include_header=False, quoting_style="none",
                                                   batch_size=65536))


def generate_demo(out_dir: str | Path, *, customers: int = 5000, seed: int = 42,
                  progress: Progress = silent) -> dict:
    """Write a deterministic demo shop (transactions, customers and the hidden truth) to out_dir."""
    if int(customers) < 1:
        raise ValueError(f"The demo needs at least 1 customer; got customers={customers}.")
    n = int(customers)
    out = Path(out_dir)
    truth_dir = out / "truth"
    truth_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "transactions": out / "transactions.csv",
        "customers": out / "customers.csv",
        "future_orders": truth_dir / "future_orders.csv",
        "customers_latent": truth_dir / "customers_latent.csv",
    }
    rng = np.random.Generator(np.random.PCG64(seed))
    cat = _catalog_arrays()

    progress("Demo: customers", 0.0)
    cust = _draw_customers(rng, n, cat)
    progress("Demo: customers", 0.1)
    ol = _orders_and_lines(rng, cust, cat, progress)
    oc, ok, day, status = ol["oc"], ol["ok"], ol["day"], ol["status"]
    seen = day <= _AS_OF_DAY
    ids = _id_strings("C", np.arange(1, n + 1), max(6, len(str(n))))

    # Transactions: observed orders in time order (orders are held by customer, then order
    # number, so a stable sort by day gives day, customer, order number); ids follow that order.
    seen_orders = np.flatnonzero(seen)
    seen_orders = seen_orders[np.argsort(day[seen_orders], kind="stable")]
    n_orders = len(seen_orders)
    lines = _line_index(ol["starts"], ol["n_lines"], seen_orders)
    n_rows = len(lines)
    order_no = np.repeat(np.arange(n_orders, dtype=np.int32), ol["n_lines"][seen_orders])
    line_order = ol["lo"][lines]

    # Dirty rows: spoil a few observed lines on purpose, cycling through the kinds.
    dirty = np.zeros(n_rows, dtype=np.int8)
    if n_rows >= len(_DIRTY_KINDS):
        n_dirty = max(len(_DIRTY_KINDS), int(round(n_rows * _DIRTY_SHARE)))
        picks = rng.choice(n_rows, size=n_dirty, replace=False)
        dirty[picks] = 1 + np.arange(n_dirty) % len(_DIRTY_KINDS)
    bad_date = rng.integers(0, len(_BAD_DATES), n_rows)
    dirty_counts = {k: int((dirty == i + 1).sum()) for i, k in enumerate(_DIRTY_KINDS)}
    progress("Demo: writing transactions", 0.65)

    date_labels = [(HISTORY_START + timedelta(days=i)).isoformat() for i in range(_AS_OF_DAY + 1)]
    cents = ol["cents"][lines]
    tx = pa.table({
        "order_id": pa.DictionaryArray.from_arrays(
            pa.array(order_no), _id_strings("O", np.arange(1, n_orders + 1), max(8, len(str(n_orders))))),
        "customer_id": pa.DictionaryArray.from_arrays(pa.array(oc[line_order], mask=dirty == 3), ids),
        "order_date": _labels(np.where(dirty == 1, _AS_OF_DAY + 1 + bad_date, day[line_order]).astype(np.int32),
                              date_labels + list(_BAD_DATES)),
        "product": _labels(ol["product"][lines], cat["names"]),
        "category": _labels(ol["pcat"][lines], cat["categories"]),
        "quantity": ol["quantity"][lines],
        "amount": _money(np.where(dirty == 2, -cents, cents)),
        "channel": _labels(ol["channel"][line_order], CHANNELS),
        "status": _labels(status[line_order], STATUSES),
    })
    del cents, order_no, line_order, dirty, bad_date, lines
    _write_csv(tx, paths["transactions"])
    del tx
    progress("Demo: writing truth", 0.8)

    # Truth: completed future lines, in time order.
    fut_orders = np.flatnonzero(~seen & (status == 0))
    fut_orders = fut_orders[np.argsort(day[fut_orders], kind="stable")]
    lines = _line_index(ol["starts"], ol["n_lines"], fut_orders)
    line_order = ol["lo"][lines]
    fut = pa.table({
        "customer_id": pa.DictionaryArray.from_arrays(pa.array(oc[line_order]), ids),
        "order_date": _dates(day[line_order]),
        "amount": _money(ol["cents"][lines]),
        "product": _labels(ol["product"][lines], cat["names"]),
        "category": _labels(ol["pcat"][lines], cat["categories"]),
    })
    n_future_rows = len(lines)
    del lines, line_order
    _write_csv(fut, paths["future_orders"])
    del fut

    seen_count = np.bincount(oc[seen], minlength=n)
    total_count = np.bincount(oc, minlength=n)
    n_total = cust["n_total"]
    drop_day = np.zeros(n, dtype=np.int32)
    is_last = ok == n_total[oc]
    drop_day[oc[is_last]] = day[is_last]
    dropped = np.zeros(n, dtype=bool)
    dropped[oc[is_last]] = True
    latent = pa.table({
        "customer_id": ids,
        "purchase_rate_per_year": np.round(cust["rate_year"], 4),
        "dropout_probability": np.round(cust["p"], 5),
        "spend_level": np.round(cust["spend"], 4),
        "alive_at_as_of": seen_count < n_total,
        "alive_at_truth_end": total_count < n_total,
        "preferred_category": _labels(cust["preferred"], cat["categories"]),
        "preferred_channel": _labels(cust["channel"], CHANNELS),
        "deal_seeker": cust["deal"],
        "refund_rate": cust["refund_rate"],
        "first_order_date": _dates(np.floor(cust["t0"])),
        "dropout_date": _dates(drop_day, mask=~dropped),
        "orders_observed": seen_count,
        "orders_future": total_count - seen_count,
    })
    _write_csv(latent, paths["customers_latent"])
    del latent
    progress("Demo: writing customers", 0.9)

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        _write_customers(con, rng, cust, ids, paths["customers"])
    finally:
        con.close()
    progress("Demo: done", 1.0)

    return {
        "customers": n,
        "orders": n_orders,
        "rows": n_rows,
        "future_orders": int(((~seen) & (status == 0)).sum()),
        "future_rows": n_future_rows,
        "as_of": DEMO_AS_OF.isoformat(),
        "seed": seed,
        "dirty_rows": dirty_counts,
        "paths": {k: str(v) for k, v in paths.items()},
    }


def _write_customers(con: duckdb.DuckDBPyConnection, rng: np.random.Generator, cust: dict,
                     ids: pa.Array, path: Path) -> None:
    """Names, emails, places and consent of every customer, sampled from the built-in lists."""
    countries = list(COUNTRIES)
    first_f, first_m, last, cities = [], [], [], []
    off = {k: [] for k in ("f", "m", "l")}
    cdf_city = []
    for i, c in enumerate(countries):
        info = COUNTRIES[c]
        off["f"].append((len(first_f), len(info["female"])))
        off["m"].append((len(first_m), len(info["male"])))
        off["l"].append((len(last), len(info["last"])))
        first_f += info["female"]
        first_m += info["male"]
        last += info["last"]
        w = np.array([x[1] for x in info["cities"]], dtype=float)
        cdf_city.append(i + np.cumsum(w) / w.sum())
        cdf_city[-1][-1] = i + 1.0
        cities += [x[0] for x in info["cities"]]

    n = len(ids)
    country = cust["country"]
    gender = cust["gender"]

    def pick(key: str) -> np.ndarray:
        o = np.array(off[key])
        return (o[country, 0] + np.floor(rng.random(n) * o[country, 1])).astype(np.int32)

    fi_f, fi_m, li = pick("f"), pick("m"), pick("l")
    # Unspecified gender: a first name from either list.
    use_f = np.where(gender == 2, rng.random(n) < 0.5, gender == 0)
    city = np.searchsorted(np.concatenate(cdf_city), country + rng.random(n) * (1 - 1e-12), side="right")
    birth_yy = (DEMO_AS_OF.year - cust["age"].astype(np.int32) - rng.integers(0, 2, n)) % 100
    pattern = rng.choice(4, n, p=[0.4, 0.25, 0.2, 0.15]).astype(np.int8)
    domain = rng.choice(len(EMAIL_DOMAINS), n, p=[0.6, 0.25, 0.15]).astype(np.int8)
    signup = np.floor(cust["t0"] - np.where(rng.random(n) < 0.55, 0.0, rng.exponential(45.0, n))).astype(np.int32)
    consent = rng.random(n) < 0.8

    tbl = pa.table({
        "c": np.arange(n, dtype=np.int32), "id": ids, "co": country.astype(np.int8), "ci": city.astype(np.int32),
        "uf": use_f, "ff": fi_f, "fm": fi_m, "li": li, "g": gender.astype(np.int8),
        "age": cust["age"], "yy": birth_yy.astype(np.int16), "pat": pattern, "dom": domain,
        "su": signup, "consent": consent,
    })
    ff_sql, fm_sql, l_sql = _sql_list(first_f), _sql_list(first_m), _sql_list(last)
    ffa, fma, la = (_sql_list([_ascii(x) for x in v]) for v in (first_f, first_m, last))
    con.register("cust", tbl)
    con.execute(f"""COPY (
        WITH base AS (
            SELECT c, id, co, ci, g, age, su, consent, dom,
                   CASE WHEN uf THEN {ff_sql}[ff + 1] ELSE {fm_sql}[fm + 1] END AS first_name,
                   {l_sql}[li + 1] AS last_name,
                   CASE WHEN uf THEN {ffa}[ff + 1] ELSE {fma}[fm + 1] END AS fa,
                   {la}[li + 1] AS la, lpad(yy::VARCHAR, 2, '0') AS yy, pat
            FROM cust),
        local AS (
            SELECT *, CASE pat WHEN 0 THEN fa || '.' || la || yy
                               WHEN 1 THEN fa || '.' || la
                               WHEN 2 THEN left(fa, 1) || la || yy
                               ELSE fa || '_' || la END AS lp
            FROM base),
        numbered AS (
            SELECT *, row_number() OVER (PARTITION BY lp, dom ORDER BY c) AS rn FROM local)
        SELECT id AS customer_id,
               first_name || ' ' || last_name AS name,
               CASE WHEN rn = 1 THEN lp ELSE lp || '.' || rn::VARCHAR END
                   || '@' || {_sql_list(EMAIL_DOMAINS)}[dom + 1] AS email,
               {_sql_list(countries)}[co + 1] AS country,
               {_sql_list(cities)}[ci + 1] AS city,
               DATE '{HISTORY_START.isoformat()}' + su AS signup_date,
               ['F', 'M', NULL][g + 1] AS gender,
               age,
               consent AS email_consent
        FROM numbered ORDER BY c) TO '{path.as_posix()}' (HEADER, DELIMITER ',')""")
    con.unregister("cust")
