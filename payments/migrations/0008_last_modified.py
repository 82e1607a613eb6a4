"""last_modified on invoices, credit memos and background operations (issue 17: the lists integrations poll).
Existing rows take the last moment their history records, not the migration's.

On SQLite, adding a NOT NULL column rebuilds the table, and a rebuild drops the table's triggers and is
refused while another table's trigger names it. The triggers of 0006 (invoices bill shipped goods only) are
dropped first and made again last; made again after the orders migrations that rebuilt the fulfillment-order
line table (0009, 0011), they are back on it too. (payments.sqlite_triggers does the same around a whole
migrate; a fresh database, migrated in one run, needs it here as well.)
"""

from importlib import import_module

from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce


_TRIGGERS = import_module("payments.migrations.0006_invoice_only_for_shipped_goods")


def _sqlite(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            for statement in statements:
                schema_editor.execute(statement, params=None)
    return run


def from_history(apps, schema_editor):
    for name in ("Invoice", "CreditMemo"):
        apps.get_model("payments", name).objects.update(last_modified=F("created_at"))
    apps.get_model("payments", "BackgroundOperation").objects.update(
        last_modified=Coalesce("finished_at", "started_at", "submitted_at"))


class Migration(migrations.Migration):

    dependencies = [
        ('payments', '0007_netting_and_authorization_reversals'),
        ('orders', '0014_poll_indexes'),
    ]

    operations = [
        migrations.RunPython(_sqlite(_TRIGGERS.SQLITE_REVERSE), _sqlite(_TRIGGERS.SQLITE)),
        migrations.AddField(
            model_name='backgroundoperation',
            name='last_modified',
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name='creditmemo',
            name='last_modified',
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.AddField(
            model_name='invoice',
            name='last_modified',
            field=models.DateTimeField(auto_now=True, db_index=True),
        ),
        migrations.RunPython(from_history, migrations.RunPython.noop),
        migrations.RunPython(_sqlite(_TRIGGERS.SQLITE), _sqlite(_TRIGGERS.SQLITE_REVERSE)),
    ]
