from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Orders and fulfillment"

    def ready(self):
        # The outbox's task signals acknowledge its messages in every worker (orders/outbox.py).
        from orders import outbox  # noqa: F401
