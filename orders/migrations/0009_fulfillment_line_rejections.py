"""Each fulfillment order line keeps the units its location refused and why (issue 16 point 1).

Lines rejected before this migration get theirs from their FulfillmentRejection rows. A whole fulfillment
order moved to Rejected kept no rejection rows then, so its lines start with none (the units are counted
as canceled, as they were).
"""

import django.db.models.expressions
from django.db import migrations, models

SEPARATOR = "; "


def backfill(apps, schema_editor):
    Line = apps.get_model("orders", "FulfillmentOrderLineItem")
    Rejection = apps.get_model("orders", "FulfillmentRejection")
    found = {}
    for line_id, quantity, reason in Rejection.objects.order_by("created_at", "id").values_list(
            "fulfillment_order_line_id", "quantity", "reason"):
        total, reasons = found.setdefault(line_id, [0, []])
        found[line_id][0] = total + quantity
        if reason and reason not in reasons:
            reasons.append(reason)
    for line_id, (total, reasons) in found.items():
        Line.objects.filter(pk=line_id).update(quantity_rejected=total,
                                               rejection_reason=SEPARATOR.join(reasons)[:255])


class Migration(migrations.Migration):

    dependencies = [
        ('orders', '0008_fulfillment_recovery'),
    ]

    operations = [
        migrations.AddField(
            model_name='fulfillmentorderlineitem',
            name='quantity_rejected',
            field=models.DecimalField(decimal_places=2, default=0, max_digits=12),
        ),
        migrations.AddField(
            model_name='fulfillmentorderlineitem',
            name='rejection_reason',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name='fulfillmentorderlineitem',
            constraint=models.CheckConstraint(condition=models.Q(('quantity_rejected__gte', 0), ('quantity_rejected__lte', django.db.models.expressions.CombinedExpression(models.F('original_quantity'), '-', models.F('quantity')))), name='fo_line_rejected_within_taken_off'),
        ),
    ]
