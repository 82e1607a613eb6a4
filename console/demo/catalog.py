"""What the demo shop sells and where it keeps it: products with a price per currency, the locations
(US distribution centers and stores, an EU distribution center and store) and their stock."""

import random
from dataclasses import dataclass
from decimal import Decimal

from orders.models import Location, LocationType
from orders.services.inventory import InventoryInput, set_inventory_levels
from orders.services.locations import LocationInput, create_location

D = Decimal

SHOES, APPAREL, ELECTRONICS = "Shoes", "Apparel", "Electronics"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    category: str
    prices: dict  # currency -> unit price

    def price(self, currency: str) -> Decimal:
        return self.prices[currency]


def _product(sku, name, category, usd, eur, jpy) -> Product:
    return Product(sku, name, category, {"USD": D(usd), "EUR": D(eur), "JPY": D(jpy)})


PRODUCTS = [
    _product("SH-RUN-01", "Velocity Road Running Shoe", SHOES, "129.95", "139.95", "17600"),
    _product("SH-TRL-02", "Ridgeline Trail Running Shoe", SHOES, "144.95", "154.95", "19800"),
    _product("SH-SNK-03", "Classic Court Sneaker", SHOES, "89.95", "94.95", "12100"),
    _product("SH-BOO-04", "Summit Waterproof Hiking Boot", SHOES, "189.95", "199.95", "26400"),
    _product("SH-SAN-05", "Tideline Sport Sandal", SHOES, "54.95", "59.95", "7700"),
    _product("SH-SLP-06", "Cabin Wool Slipper", SHOES, "69.95", "74.95", "9900"),
    _product("SH-GYM-07", "Crosstrain Gym Shoe", SHOES, "109.95", "114.95", "14300"),
    _product("SH-RAC-08", "Pacer Carbon Racing Flat", SHOES, "249.95", "259.95", "33000"),
    _product("AP-TEE-01", "Everyday Organic Cotton Tee", APPAREL, "24.95", "27.95", "3300"),
    _product("AP-HOO-02", "Heritage Fleece Hoodie", APPAREL, "64.95", "69.95", "8800"),
    _product("AP-JKT-03", "Stormshell Rain Jacket", APPAREL, "159.95", "169.95", "22000"),
    _product("AP-LEG-04", "Flex Studio Leggings", APPAREL, "59.95", "64.95", "7700"),
    _product("AP-SOC-05", "Merino Hiking Socks, 3 pairs", APPAREL, "29.95", "32.95", "3850"),
    _product("AP-CAP-06", "Trail Cap", APPAREL, "22.95", "24.95", "2970"),
    _product("AP-SHO-07", 'Stride 7" Running Shorts', APPAREL, "39.95", "44.95", "5500"),
    _product("AP-PUF-08", "Alpine Down Puffer Jacket", APPAREL, "229.95", "239.95", "30800"),
    _product("AP-BAS-09", "Thermal Base Layer Top", APPAREL, "49.95", "54.95", "6600"),
    _product("AP-GLV-10", "Touchscreen Running Gloves", APPAREL, "27.95", "29.95", "3520"),
    _product("AP-BEA-11", "Ribbed Merino Beanie", APPAREL, "26.95", "29.95", "3300"),
    _product("AP-WND-12", "Featherweight Wind Jacket", APPAREL, "99.95", "109.95", "13200"),
    _product("EL-EAR-01", "Pulse Wireless Earbuds", ELECTRONICS, "129.00", "139.00", "17800"),
    _product("EL-WAT-02", "Stride GPS Running Watch", ELECTRONICS, "299.00", "319.00", "42800"),
    _product("EL-TRK-03", "Band Fitness Tracker", ELECTRONICS, "79.00", "84.00", "10800"),
    _product("EL-HPH-04", "Quiet Over-Ear Headphones", ELECTRONICS, "249.00", "269.00", "35800"),
    _product("EL-PWR-05", "PowerCell 10,000 mAh Power Bank", ELECTRONICS, "39.00", "42.00", "5280"),
    _product("EL-SPK-06", "Splash Portable Speaker", ELECTRONICS, "89.00", "95.00", "12800"),
    _product("EL-CAM-07", "Trailcam 4K Action Camera", ELECTRONICS, "349.00", "369.00", "49800"),
    _product("EL-LGT-08", "Beacon USB-C Bike Light Set", ELECTRONICS, "49.00", "52.00", "6600"),
    _product("EL-HRM-09", "Chest Strap Heart Rate Monitor", ELECTRONICS, "69.00", "74.00", "9680"),
    _product("EL-SCL-10", "Smart Body Scale", ELECTRONICS, "99.00", "105.00", "13800"),
]
# Sold ahead of its release: no location holds any, so routing an order of it raises a Fulfillment exception.
PRE_ORDER = _product("SH-LTD-99", "Velocity x Atelier Limited Edition (pre-order)", SHOES, "279.95", "289.95", "36800")
PRODUCTS_BY_SKU = {product.sku: product for product in [*PRODUCTS, PRE_ORDER]}
# Things a customer walks out of a store with; the stores stock no electronics.
STORE_PRODUCTS = [product for product in PRODUCTS if product.category != ELECTRONICS]
EXPENSIVE = [product for product in PRODUCTS if product.prices["USD"] >= D("249")]


@dataclass(frozen=True)
class DemoLocation:
    data: LocationInput
    # Units on hand for each sku the location stocks, drawn from this range.
    stock_range: tuple[int, int]
    categories: tuple[str, ...]
    # Retail stores: the state sales tax rate charged at the till (percent).
    sales_tax_rate: Decimal | None = None


def _location(reference, name, kind, street, city, state, postal_code, country, lat, lon) -> LocationInput:
    return LocationInput(
        name=name,
        external_reference=reference,
        location_type=kind,
        street=street,
        city=city,
        state=state,
        postal_code=postal_code,
        country=country,
        latitude=D(lat),
        longitude=D(lon),
    )


ALL = (SHOES, APPAREL, ELECTRONICS)
WORN = (SHOES, APPAREL)
WAREHOUSE, STORE = LocationType.WAREHOUSE, LocationType.STORE

LOCATIONS = [
    DemoLocation(
        _location(
            "DC-EAST-NJ",
            "East Coast Distribution Center",
            WAREHOUSE,
            "300 Raritan Center Pkwy",
            "Edison",
            "NJ",
            "08837",
            "US",
            "40.516000",
            "-74.329000",
        ),
        (40, 120),
        ALL,
    ),
    DemoLocation(
        _location(
            "DC-CENTRAL-TX",
            "Central Distribution Center",
            WAREHOUSE,
            "2400 Great Southwest Pkwy",
            "Grand Prairie",
            "TX",
            "75050",
            "US",
            "32.751000",
            "-97.032000",
        ),
        (40, 120),
        ALL,
    ),
    DemoLocation(
        _location(
            "DC-WEST-NV",
            "West Coast Distribution Center",
            WAREHOUSE,
            "1055 Trademark Dr",
            "Reno",
            "NV",
            "89521",
            "US",
            "39.438000",
            "-119.756000",
        ),
        (40, 120),
        ALL,
    ),
    DemoLocation(
        _location(
            "ST-NYC-SOHO",
            "New York SoHo Store",
            STORE,
            "530 Broadway",
            "New York",
            "NY",
            "10012",
            "US",
            "40.723500",
            "-73.998700",
        ),
        (8, 20),
        WORN,
        D("8.875"),
    ),
    DemoLocation(
        _location(
            "ST-CHI-MAG",
            "Chicago Magnificent Mile Store",
            STORE,
            "600 N Michigan Ave",
            "Chicago",
            "IL",
            "60611",
            "US",
            "41.893000",
            "-87.624300",
        ),
        (8, 20),
        WORN,
        D("10.25"),
    ),
    DemoLocation(
        _location(
            "ST-SF-UNION",
            "San Francisco Union Square Store",
            STORE,
            "170 O'Farrell St",
            "San Francisco",
            "CA",
            "94102",
            "US",
            "37.786200",
            "-122.407000",
        ),
        (8, 20),
        WORN,
        D("8.625"),
    ),
    DemoLocation(
        _location(
            "DC-EU-VENLO",
            "EU Distribution Center Venlo",
            WAREHOUSE,
            "Celsiusweg 20",
            "Venlo",
            "Limburg",
            "5928 PR",
            "NL",
            "51.370400",
            "6.172400",
        ),
        (30, 80),
        ALL,
    ),
    DemoLocation(
        _location(
            "ST-BER-MITTE",
            "Berlin Mitte Store",
            STORE,
            "Rosenthaler Straße 40",
            "Berlin",
            "Berlin",
            "10178",
            "DE",
            "52.526500",
            "13.401700",
        ),
        (6, 15),
        WORN,
    ),
]
STORES = [location for location in LOCATIONS if location.sales_tax_rate is not None]


def create_locations_and_stock(seed: int) -> int:
    """Create the demo locations missing so far and put stock on their shelves; returns how many were new.

    A location that exists keeps its stock: orders have since reserved and shipped from it.
    """
    existing = set(
        Location.objects.filter(
            external_reference__in=[location.data.external_reference for location in LOCATIONS]
        ).values_list("external_reference", flat=True)
    )
    created = 0
    for location in LOCATIONS:
        reference = location.data.external_reference
        if reference in existing:
            continue
        create_location(location.data)
        created += 1
        rng = random.Random(f"{seed}:stock:{reference}")  # noqa: S311 (reproducible, not secret)
        low, high = location.stock_range
        # One location's count at a time, as a stock file per location would arrive.
        set_inventory_levels(
            [
                InventoryInput(reference, product.sku, D(rng.randint(low, high)))
                for product in PRODUCTS
                if product.category in location.categories
            ]
        )
    return created
