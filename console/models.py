"""The console has no tables of its own; this model only carries the console's permissions."""

from django.db import models


class ConsolePermissions(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("use_console", "Can sign in to the agent console, search and view orders"),
            ("change_orders", "Can cancel, return and adjust order items from the console"),
            ("approve_refunds", "Can approve refunds above the agent refund limit"),
            ("work_exception_queue", "Can work the process exception queue"),
            ("manage_fulfillment", "Can create, move and cancel fulfillment orders from the console"),
        ]

    def __str__(self):
        return "Console permissions"
