from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class PaymentsConfig(AppConfig):
    name = "payments"
    verbose_name = "Payments and billing"

    def ready(self) -> None:
        from payments.sqlite_triggers import drop_before_migrate, restore_after_migrate

        pre_migrate.connect(drop_before_migrate, sender=self, dispatch_uid="payments-sqlite-triggers-down")
        post_migrate.connect(restore_after_migrate, sender=self, dispatch_uid="payments-sqlite-triggers-up")

        # Orders reaches payments only through this link (orders/payments_link.py): one registration, at start-up.
        from orders.payments_link import register_payments_link
        from payments.orders_link import PaymentsForOrders

        register_payments_link(PaymentsForOrders())
