"""Service messages as agents read them (issue 13 point 8): money rounded to the currency, no API names."""

from console.agent_text import agent_message


def test_money_is_rounded_to_the_currency():
    assert agent_message("Excess funds of 365.9000 EUR were asked for.") == "Excess funds of 365.90 EUR were asked for."
    assert agent_message("Refund 30000.0000 JPY") == "Refund 30,000 JPY"
    assert agent_message("Refund 1.2345 BHD") == "Refund 1.235 BHD"  # three places in Bahraini dinars
    # A bare figure of the order's currency is rounded too; quantities with two places are left as they are.
    assert agent_message("the order summary has 12.5000; 1.00 unit", "USD") == "the order summary has 12.50; 1.00 unit"


def test_api_field_names_become_the_console_words():
    assert agent_message(
        "Only 1 of this item can be canceled; asked for 2. 1 more are allocated to fulfillment orders: "
        "cancelAllocatedQuantity cancels those not yet picked."
    ) == (
        "Only 1 of this item can be canceled; asked for 2. 1 more are allocated to fulfillment orders: "
        "\u201cAlso cancel units allocated to fulfillment orders not yet picked\u201d cancels those not yet picked."
    )
    assert agent_message("changeItems[0].quantity must be a whole number.") == "the quantity must be a whole number."
    assert agent_message("Give a reasonForChangeText.") == "Give a note."
    assert agent_message("unknownApiField is wrong") == "unknown api field is wrong"
