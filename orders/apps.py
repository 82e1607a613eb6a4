from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and fulfillment"

    def ready(self):
        # The outbox's task signals acknowledge its messages in every worker (orders/outbox.py).
        from orders import outbox  # noqa: F401

        # A saved or deleted API client or channel forgets its keys' cached records (orders/api/key_gate.py).
        from orders.api import key_gate  # noqa: F401
