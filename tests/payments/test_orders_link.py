"""The payments → orders link (orders/payments_link.py): one typed protocol, registered at start-up."""

import inspect

import pytest
from django.core.exceptions import ImproperlyConfigured

from orders import payments_link as link_module
from orders.payments_link import PaymentsLink, payments_link, register_payments_link
from payments.orders_link import PaymentsForOrders

PROTOCOL_METHODS = [
    "exchange_card_to_charge",
    "fulfillment_order_fulfilled",
    "funds_annotations",
    "funds_position",
    "fund_exchange",
    "order_summary_changed",
    "record_checkout_payments",
]


def test_the_payments_app_registers_its_link_at_start_up():
    assert type(payments_link()) is PaymentsForOrders


def test_the_link_implements_every_method_of_the_protocol_with_its_signature():
    declared = sorted(
        name for name, _ in inspect.getmembers(PaymentsLink, inspect.isfunction) if not name.startswith("_")
    )
    assert declared == sorted(PROTOCOL_METHODS)
    for name in PROTOCOL_METHODS:
        assert (
            inspect.signature(getattr(PaymentsForOrders, name)).parameters.keys()
            == inspect.signature(getattr(PaymentsLink, name)).parameters.keys()
        ), name


def test_without_a_registered_link_orders_says_why():
    registered = payments_link()
    link_module._registered = None
    try:
        with pytest.raises(ImproperlyConfigured, match=r"PaymentsConfig\.ready"):
            payments_link()
    finally:
        register_payments_link(registered)
    assert payments_link() is registered
