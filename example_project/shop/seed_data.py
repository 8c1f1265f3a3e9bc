"""Static catalogue and customer data used by the ``seed_shop`` management command."""

from __future__ import annotations

from decimal import Decimal

# (slug, label)
CATEGORIES: list[tuple[str, str]] = [
    ("coffee", "Coffee"),
    ("tea", "Tea"),
    ("brewing-gear", "Brewing gear"),
    ("mugs", "Mugs"),
]

# (slug, category slug, title, price, blurb, in_stock)
PRODUCTS: list[tuple[str, str, str, Decimal, str, bool]] = [
    (
        "ethiopia-yirgacheffe",
        "coffee",
        "Ethiopia Yirgacheffe, 250 g",
        Decimal("12.90"),
        "Washed heirloom Arabica with jasmine, bergamot and lemon notes. Light roast, "
        "ideal for pour-over.",
        True,
    ),
    (
        "colombia-huila",
        "coffee",
        "Colombia Huila, 250 g",
        Decimal("11.50"),
        "Caramel sweetness, red apple and a round body. Medium roast for filter and French press.",
        True,
    ),
    (
        "brazil-cerrado-espresso",
        "coffee",
        "Brazil Cerrado Espresso, 500 g",
        Decimal("16.90"),
        "Natural-process beans roasted for espresso: hazelnut, cocoa and low acidity.",
        True,
    ),
    (
        "swiss-water-decaf",
        "coffee",
        "Swiss Water Decaf, 250 g",
        Decimal("11.90"),
        "Chemical-free decaffeinated Peruvian beans with milk chocolate and brown sugar.",
        True,
    ),
    (
        "darjeeling-first-flush",
        "tea",
        "Darjeeling First Flush, 100 g",
        Decimal("14.50"),
        "Spring harvest from a single estate. Bright, floral and muscatel.",
        True,
    ),
    (
        "uji-sencha",
        "tea",
        "Uji Sencha, 80 g",
        Decimal("13.20"),
        "Steamed Japanese green tea: grassy, sweet umami and a clean finish.",
        True,
    ),
    (
        "assam-breakfast",
        "tea",
        "Assam Breakfast, 200 g",
        Decimal("8.90"),
        "Malty, full-bodied black tea that stands up to milk.",
        True,
    ),
    (
        "chamomile-blossoms",
        "tea",
        "Whole Chamomile Blossoms, 50 g",
        Decimal("7.50"),
        "Caffeine-free whole flowers with honeyed apple notes. Back in stock soon.",
        False,
    ),
    (
        "ceramic-dripper",
        "brewing-gear",
        "Ceramic Pour-Over Dripper",
        Decimal("24.00"),
        "Size 02 cone dripper in matte porcelain. Brews one to four cups.",
        True,
    ),
    (
        "gooseneck-kettle",
        "brewing-gear",
        "Gooseneck Kettle, 1 l",
        Decimal("49.00"),
        "Stainless-steel stovetop kettle with a precise pouring spout.",
        True,
    ),
    (
        "burr-hand-grinder",
        "brewing-gear",
        "Conical Burr Hand Grinder",
        Decimal("69.00"),
        "Steel burrs with 40 click settings, from espresso to cold brew.",
        True,
    ),
    (
        "glass-teapot",
        "brewing-gear",
        "Glass Teapot with Infuser, 800 ml",
        Decimal("29.50"),
        "Borosilicate teapot with a removable stainless-steel infuser.",
        True,
    ),
    (
        "stoneware-mug-sand",
        "mugs",
        "Stoneware Mug, Sand",
        Decimal("16.00"),
        "Hand-glazed 330 ml mug with a speckled sand finish.",
        True,
    ),
    (
        "espresso-cups-pair",
        "mugs",
        "Espresso Cups, Set of 2",
        Decimal("18.50"),
        "Thick-walled 80 ml porcelain cups that keep crema warm.",
        True,
    ),
    (
        "double-wall-glass",
        "mugs",
        "Double-Wall Glass, 250 ml",
        Decimal("14.00"),
        "Insulated glass that keeps drinks hot and hands cool.",
        True,
    ),
    (
        "travel-tumbler",
        "mugs",
        "Insulated Travel Tumbler",
        Decimal("27.00"),
        "Leak-proof 350 ml tumbler that keeps coffee hot for six hours.",
        True,
    ),
]

# Primary product -> the product it is most often bought with. This is the co-purchase
# signal a recommender should find (e.g. each coffee with "its" mug).
PARTNERS: dict[str, str] = {
    "ethiopia-yirgacheffe": "stoneware-mug-sand",
    "colombia-huila": "double-wall-glass",
    "brazil-cerrado-espresso": "espresso-cups-pair",
    "swiss-water-decaf": "travel-tumbler",
    "darjeeling-first-flush": "glass-teapot",
    "uji-sencha": "glass-teapot",
    "assam-breakfast": "stoneware-mug-sand",
    "ceramic-dripper": "gooseneck-kettle",
    "burr-hand-grinder": "ethiopia-yirgacheffe",
}

# (email, name, marketing opt-in, username of the account, if any)
CUSTOMERS: list[tuple[str, str, bool, str | None]] = [
    ("alice@example.com", "Alice Martin", True, "alice"),
    ("bruno@example.com", "Bruno Costa", True, None),
    ("chen.wei@example.com", "Chen Wei", False, None),
    ("darya@example.com", "Darya Karimi", True, None),
    ("emil@example.com", "Emil Novak", False, None),
    ("linh@example.com", "Nguyễn Thùy Linh", True, None),
]

# How likely each primary is to start an order: coffees dominate so coffee+mug pairs are strong.
PRIMARY_WEIGHTS: dict[str, int] = {
    "ethiopia-yirgacheffe": 3,
    "colombia-huila": 3,
    "brazil-cerrado-espresso": 3,
    "swiss-water-decaf": 2,
    "darjeeling-first-flush": 2,
    "uji-sencha": 2,
    "assam-breakfast": 1,
    "ceramic-dripper": 1,
    "burr-hand-grinder": 1,
}
PARTNER_PROBABILITY = 0.8
EXTRA_LINE_PROBABILITY = 0.3

PURCHASE_COUNT = 30
HISTORY_DAYS = 120
RANDOM_SEED = 20240517
