"""Money rounding (DOMAIN.md: ISO 4217 minor units, half-up) and money as JSON numbers."""

import json
from decimal import Decimal

import pytest
from rest_framework import serializers

from orders.api.order_serializers import MoneyOut
from orders.api.renderers import DecimalJSONRenderer
from orders.money import (
    UnknownCurrency,
    is_known_currency,
    is_rounded,
    minor_units,
    prorate,
    quantum,
    round_money,
    tax_at_rate,
    with_tax,
)

D = Decimal


@pytest.mark.parametrize(
    ("currency", "places", "one_unit"),
    [
        ("USD", 2, "0.01"),
        ("EUR", 2, "0.01"),
        ("JPY", 0, "1"),
        ("KRW", 0, "1"),
        ("BHD", 3, "0.001"),
        ("KWD", 3, "0.001"),
        ("TND", 3, "0.001"),
    ],
)
def test_minor_units_follow_iso_4217(currency, places, one_unit):
    assert minor_units(currency) == places
    assert quantum(currency) == D(one_unit)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        # Half-up, not banker's rounding: a half always goes away from zero.
        ("0.125", "USD", "0.13"),
        ("0.135", "USD", "0.14"),
        ("0.124", "USD", "0.12"),
        ("-0.125", "USD", "-0.13"),
        ("10.1250", "USD", "10.13"),
        # JPY has no minor unit.
        ("0.5", "JPY", "1"),
        ("1.5", "JPY", "2"),
        ("2.5", "JPY", "3"),
        ("1499.49", "JPY", "1499"),
        # BHD has three.
        ("0.0005", "BHD", "0.001"),
        ("1.2345", "BHD", "1.235"),
        ("1.2344", "BHD", "1.234"),
    ],
)
def test_round_money_is_half_up_to_the_minor_unit(amount, currency, rounded):
    result = round_money(D(amount), currency)
    assert result == D(rounded)
    assert result.as_tuple().exponent == -minor_units(currency)


def test_is_rounded_tells_amounts_with_too_many_decimals():
    assert is_rounded(D("10.50"), "USD") and is_rounded(D("10.5000"), "USD")
    assert not is_rounded(D("10.505"), "USD")
    assert is_rounded(D("1500"), "JPY") and not is_rounded(D("1.5"), "JPY")
    assert is_rounded(D("1.234"), "BHD") and not is_rounded(D("1.2345"), "BHD")


def test_unknown_currencies_are_refused():
    assert not is_known_currency("ZZZ") and is_known_currency("USD")
    with pytest.raises(UnknownCurrency):
        round_money(D("1"), "ZZZ")


def test_prorate_takes_a_rounded_share_and_the_whole_when_part_is_whole():
    # 10.00 × 1/3 = 3.333… → 3.33; the last third takes what remains, not another 3.33.
    assert prorate(D("10.00"), D("1"), D("3"), "USD") == D("3.33")
    assert prorate(D("6.67"), D("2"), D("2"), "USD") == D("6.67")
    # 100 JPY × 1/3 = 33.3… → 33
    assert prorate(D("100"), D("1"), D("3"), "JPY") == D("33")
    # 1.000 BHD × 2/3 = 0.6666… → 0.667
    assert prorate(D("1.000"), D("2"), D("3"), "BHD") == D("0.667")
    assert prorate(D("5.00"), D("0"), D("0"), "USD") == D("0")


def test_tax_at_rate_on_top_and_inside():
    # Net: 8 % of 40.00 = 3.20. Gross: 119.00 holds 119 × 19 / 119 = 19.00 of VAT.
    assert tax_at_rate(D("40.00"), D("8"), "USD") == D("3.20")
    assert tax_at_rate(D("119.00"), D("19"), "EUR", included=True) == D("19.00")
    # 8.875 % of 9.99 = 0.88661… → 0.89
    assert tax_at_rate(D("9.99"), D("8.875"), "USD") == D("0.89")
    # 10 % of 1499 JPY = 149.9 → 150
    assert tax_at_rate(D("1499"), D("10"), "JPY") == D("150")


def test_with_tax_adds_tax_for_net_only():
    assert with_tax(D("100.00"), D("8.00"), "Net") == D("108.00")
    assert with_tax(D("119.00"), D("19.00"), "Gross") == D("119.00")


def render(data) -> str:
    return DecimalJSONRenderer().render(data).decode()


def test_money_is_rendered_as_exact_json_numbers():
    # Whole amounts (always so in JPY) are integers; others the shortest form of the same decimal.
    assert render({"a": D("3850"), "b": D("118.80"), "c": D("0.125"), "d": D("-43.20")}) == (
        '{"a":3850,"b":118.8,"c":0.125,"d":-43.2}'
    )
    assert json.loads(render({"a": D("123456789012.34")}), parse_float=D) == {"a": D("123456789012.34")}


class AmountOf(serializers.Serializer):
    amount = MoneyOut()


class Priced:
    def __init__(self, amount, currency):
        self.amount, self.currency = D(amount), currency


@pytest.mark.parametrize(
    ("stored", "currency", "shown"),
    [("10.1250", "USD", "10.13"), ("1499.5000", "JPY", "1500"), ("1.2345", "BHD", "1.235")],
)
def test_api_amounts_are_rounded_to_the_records_currency(stored, currency, shown):
    # Stored columns keep four places; the API shows the currency's minor units, rounded half-up.
    assert AmountOf(Priced(stored, currency)).data["amount"] == D(shown)


def test_api_amounts_use_the_summarys_currency_when_given():
    data = AmountOf(Priced("0.5000", "USD"), context={"currency": "JPY"}).data
    assert data["amount"] == D("1")
