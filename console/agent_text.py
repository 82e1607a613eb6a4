"""Service messages as an agent reads them: money rounded to the currency ("365.90 EUR", never
"365.9000 EUR") and no API field names ("cancelAllocatedQuantity", "changeItems[0].quantity").

The services word their errors for API clients, who know the fields; the console shows the same
errors next to its own controls, so the field names become the words on those controls.
"""

import re
from decimal import Decimal, InvalidOperation

from console.templatetags.console_tags import money_text
from orders.money import UnknownCurrency, round_money

# API names an agent meets in the console, as the console calls them.
_WORDS = {
    "allocatedItemsChangeOrderType Disallowed": "the choice \u201cunits not yet allocated and units shipped\u201d",
    "cancelAllocatedQuantity": "\u201cAlso cancel units allocated to fulfillment orders not yet picked\u201d",
    "allocatedItemsChangeOrderType": "the choice of units the discount is spread over",
    "excessFundsAmount": "the excess funds",
    "creditMemoId": "the credit memo",
    "invoicesToPay": "the fee invoices",
    "orderItemSummaryId": "item",
    "fulfillmentOrderLineItemId": "fulfillment-order line",
    "reasonForChangeText": "note",
    "shippingReductionFlag": "delivery charge reduction",
}
# A field path: changeItems[0].quantity, fulfillmentOrderLineItemsToCancel[2].
_PATH = re.compile(r"\b[a-z]+[A-Z]\w*\[\d+\](?:\.(\w+))?")
_CAMEL = re.compile(r"\b[a-z]+(?:[A-Z][a-z]+)+\b")
_MONEY = re.compile(r"(-?\d[\d,]*(?:\.\d+)?)(\s+)([A-Z]{3})\b")
_LONG_DECIMAL = re.compile(r"(?<![\d.])(-?\d+\.\d{3,})(?![\d.])")


def _words(camel: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r" \1", camel).lower()


def _money(match: re.Match) -> str:
    try:
        amount = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return match.group(0)
    return money_text(_rounded(amount, match.group(3)), match.group(3))


def _rounded(amount: Decimal, currency: str) -> Decimal:
    """Half up, as the money rules round (formatting alone would round half to even)."""
    try:
        return round_money(amount, currency)
    except UnknownCurrency:
        return amount


def agent_message(text: str, currency: str = "") -> str:
    for name, words in _WORDS.items():
        text = text.replace(name, words)
    text = _PATH.sub(lambda m: f"the {_words(m.group(1))}" if m.group(1) else "this line", text)
    text = _CAMEL.sub(lambda m: _words(m.group(0)), text)
    text = _MONEY.sub(_money, text)
    if currency:
        text = _LONG_DECIMAL.sub(
            lambda m: money_text(_rounded(Decimal(m.group(1)), currency), currency).removesuffix(f" {currency}"), text
        )
    return text
