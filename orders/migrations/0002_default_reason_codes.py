from django.db import migrations

DEFAULT_REASON_CODES = [
    "Unknown",
    "Wrong Item",
    "Damaged",
    "Customer Changed Mind",
    "Late Delivery",
    "Price Match",
    "Goodwill",
]


def add_reason_codes(apps, schema_editor):
    ReasonCode = apps.get_model("orders", "ReasonCode")
    for position, name in enumerate(DEFAULT_REASON_CODES):
        ReasonCode.objects.get_or_create(name=name, defaults={"sort_order": position})


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]
    operations = [migrations.RunPython(add_reason_codes, migrations.RunPython.noop)]
