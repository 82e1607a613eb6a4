"""Money is Decimal with its currency: ISO 4217 minor units and half-up rounding, in one place."""

from decimal import ROUND_HALF_UP, Decimal

# Active ISO 4217 codes with their minor units. Everything not listed with 0, 3 or 4 has 2.
_ZERO_DECIMALS = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_THREE_DECIMALS = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
_FOUR_DECIMALS = {"CLF", "UYW"}
_TWO_DECIMALS = {
    "AED",
    "AFN",
    "ALL",
    "AMD",
    "ANG",
    "AOA",
    "ARS",
    "AUD",
    "AWG",
    "AZN",
    "BAM",
    "BBD",
    "BDT",
    "BGN",
    "BMD",
    "BND",
    "BOB",
    "BOV",
    "BRL",
    "BSD",
    "BTN",
    "BWP",
    "BYN",
    "BZD",
    "CAD",
    "CDF",
    "CHE",
    "CHF",
    "CHW",
    "CNY",
    "COP",
    "COU",
    "CRC",
    "CUP",
    "CVE",
    "CZK",
    "DKK",
    "DOP",
    "DZD",
    "EGP",
    "ERN",
    "ETB",
    "EUR",
    "FJD",
    "FKP",
    "GBP",
    "GEL",
    "GHS",
    "GIP",
    "GMD",
    "GTQ",
    "GYD",
    "HKD",
    "HNL",
    "HTG",
    "HUF",
    "IDR",
    "ILS",
    "INR",
    "IRR",
    "JMD",
    "KES",
    "KGS",
    "KHR",
    "KPW",
    "KYD",
    "KZT",
    "LAK",
    "LBP",
    "LKR",
    "LRD",
    "LSL",
    "MAD",
    "MDL",
    "MGA",
    "MKD",
    "MMK",
    "MNT",
    "MOP",
    "MRU",
    "MUR",
    "MVR",
    "MWK",
    "MXN",
    "MXV",
    "MYR",
    "MZN",
    "NAD",
    "NGN",
    "NIO",
    "NOK",
    "NPR",
    "NZD",
    "PAB",
    "PEN",
    "PGK",
    "PHP",
    "PKR",
    "PLN",
    "QAR",
    "RON",
    "RSD",
    "RUB",
    "SAR",
    "SBD",
    "SCR",
    "SDG",
    "SEK",
    "SGD",
    "SHP",
    "SLE",
    "SOS",
    "SRD",
    "SSP",
    "STN",
    "SVC",
    "SYP",
    "SZL",
    "THB",
    "TJS",
    "TMT",
    "TOP",
    "TRY",
    "TTD",
    "TWD",
    "TZS",
    "UAH",
    "USD",
    "USN",
    "UYU",
    "UZS",
    "VED",
    "VES",
    "WST",
    "XCD",
    "YER",
    "ZAR",
    "ZMW",
    "ZWG",
}

CURRENCY_MINOR_UNITS: dict[str, int] = {
    **{code: 2 for code in _TWO_DECIMALS},
    **{code: 0 for code in _ZERO_DECIMALS},
    **{code: 3 for code in _THREE_DECIMALS},
    **{code: 4 for code in _FOUR_DECIMALS},
}

# Stored money columns carry 4 places so every currency fits one column type.
MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 4
QUANTITY_MAX_DIGITS = 12
QUANTITY_DECIMAL_PLACES = 2

ZERO = Decimal("0")
HUNDRED = Decimal("100")


class UnknownCurrency(ValueError):
    pass


def is_known_currency(code: str) -> bool:
    return code in CURRENCY_MINOR_UNITS


def minor_units(currency: str) -> int:
    try:
        return CURRENCY_MINOR_UNITS[currency]
    except KeyError:
        raise UnknownCurrency(currency) from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round half-up to the currency's minor unit: 0.125 USD -> 0.13, 0.5 JPY -> 1."""
    return Decimal(amount).quantize(quantum(currency), rounding=ROUND_HALF_UP)


def is_rounded(amount: Decimal, currency: str) -> bool:
    """True when the amount has no digits below the currency's minor unit."""
    return amount == amount.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def prorate(amount: Decimal, part: Decimal, whole: Decimal, currency: str) -> Decimal:
    """The share `part / whole` of `amount`, rounded; the whole amount when part equals whole.

    Taking the whole when part == whole is what leaves no stranded cent: each proration works on
    what remains, so the last one removes exactly the remainder.
    """
    if whole == 0:
        return ZERO if part == 0 else round_money(amount, currency)
    if part == whole:
        return amount
    return round_money(amount * part / whole, currency)


def tax_at_rate(base: Decimal, rate_percent: Decimal, currency: str, *, included: bool = False) -> Decimal:
    """Tax on `base` at `rate_percent`: added on top (Net) or contained in it (Gross)."""
    if included:
        return round_money(base * rate_percent / (HUNDRED + rate_percent), currency)
    return round_money(base * rate_percent / HUNDRED, currency)


def with_tax(amount: Decimal, tax: Decimal, tax_locale_type: str) -> Decimal:
    """What the customer pays for `amount`: tax on top for Net, already inside it for Gross."""
    return amount if tax_locale_type == "Gross" else amount + tax
