"""An invoice bills shipped goods only (docs/money.md, rule 2), in the database as well as the service:

- an invoice for a fulfillment order may only be written when the fulfillment order is Fulfilled (CLOSED);
- a fulfillment order that has an invoice may not leave CLOSED, nor its lines lose units or amounts.

Check constraints cannot look at another table, so these are triggers (PostgreSQL and SQLite); a
violation is an integrity error, as a check constraint's is.
"""

from django.db import migrations

POSTGRESQL = [
    """
    CREATE OR REPLACE FUNCTION payments_invoice_for_shipped_goods() RETURNS trigger AS $$
    BEGIN
        IF NEW.fulfillment_order_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM orders_fulfillmentorder
            WHERE id = NEW.fulfillment_order_id AND status_category = 'CLOSED'
        ) THEN
            RAISE EXCEPTION 'invoice_for_shipped_goods: fulfillment order % is not Fulfilled', NEW.fulfillment_order_id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER payments_invoice_for_shipped_goods
    BEFORE INSERT OR UPDATE OF fulfillment_order_id ON payments_invoice
    FOR EACH ROW EXECUTE FUNCTION payments_invoice_for_shipped_goods()
    """,
    """
    CREATE OR REPLACE FUNCTION payments_invoiced_fulfillment_order_stays() RETURNS trigger AS $$
    BEGIN
        IF OLD.status_category = 'CLOSED' AND NEW.status_category <> 'CLOSED'
           AND EXISTS (SELECT 1 FROM payments_invoice WHERE fulfillment_order_id = OLD.id) THEN
            RAISE EXCEPTION 'invoiced_fulfillment_order_stays: fulfillment order % is invoiced', OLD.id
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER payments_invoiced_fulfillment_order_stays
    BEFORE UPDATE OF status_category ON orders_fulfillmentorder
    FOR EACH ROW EXECUTE FUNCTION payments_invoiced_fulfillment_order_stays()
    """,
    """
    CREATE OR REPLACE FUNCTION payments_invoiced_lines_stay() RETURNS trigger AS $$
    BEGIN
        IF (NEW.quantity <> OLD.quantity OR NEW.total_line_amount <> OLD.total_line_amount
            OR NEW.total_line_tax_amount <> OLD.total_line_tax_amount
            OR NEW.total_adjustment_amount <> OLD.total_adjustment_amount
            OR NEW.total_adjustment_tax_amount <> OLD.total_adjustment_tax_amount)
           AND EXISTS (SELECT 1 FROM payments_invoice WHERE fulfillment_order_id = OLD.fulfillment_order_id) THEN
            RAISE EXCEPTION 'invoiced_lines_stay: a line of invoiced fulfillment order % changed',
                OLD.fulfillment_order_id USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER payments_invoiced_lines_stay
    BEFORE UPDATE ON orders_fulfillmentorderlineitem
    FOR EACH ROW EXECUTE FUNCTION payments_invoiced_lines_stay()
    """,
]

POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS payments_invoiced_lines_stay ON orders_fulfillmentorderlineitem",
    "DROP FUNCTION IF EXISTS payments_invoiced_lines_stay()",
    "DROP TRIGGER IF EXISTS payments_invoiced_fulfillment_order_stays ON orders_fulfillmentorder",
    "DROP FUNCTION IF EXISTS payments_invoiced_fulfillment_order_stays()",
    "DROP TRIGGER IF EXISTS payments_invoice_for_shipped_goods ON payments_invoice",
    "DROP FUNCTION IF EXISTS payments_invoice_for_shipped_goods()",
]

SQLITE = [
    """
    CREATE TRIGGER payments_invoice_for_shipped_goods BEFORE INSERT ON payments_invoice
    FOR EACH ROW WHEN NEW.fulfillment_order_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM orders_fulfillmentorder WHERE id = NEW.fulfillment_order_id AND status_category = 'CLOSED')
    BEGIN SELECT RAISE(ABORT, 'invoice_for_shipped_goods: the fulfillment order is not Fulfilled'); END
    """,
    """
    CREATE TRIGGER payments_invoice_for_shipped_goods_update BEFORE UPDATE OF fulfillment_order_id ON payments_invoice
    FOR EACH ROW WHEN NEW.fulfillment_order_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM orders_fulfillmentorder WHERE id = NEW.fulfillment_order_id AND status_category = 'CLOSED')
    BEGIN SELECT RAISE(ABORT, 'invoice_for_shipped_goods: the fulfillment order is not Fulfilled'); END
    """,
    """
    CREATE TRIGGER payments_invoiced_fulfillment_order_stays BEFORE UPDATE OF status_category
    ON orders_fulfillmentorder
    FOR EACH ROW WHEN OLD.status_category = 'CLOSED' AND NEW.status_category <> 'CLOSED'
        AND EXISTS (SELECT 1 FROM payments_invoice WHERE fulfillment_order_id = OLD.id)
    BEGIN SELECT RAISE(ABORT, 'invoiced_fulfillment_order_stays: the fulfillment order is invoiced'); END
    """,
    """
    CREATE TRIGGER payments_invoiced_lines_stay BEFORE UPDATE ON orders_fulfillmentorderlineitem
    FOR EACH ROW WHEN (NEW.quantity <> OLD.quantity OR NEW.total_line_amount <> OLD.total_line_amount
            OR NEW.total_line_tax_amount <> OLD.total_line_tax_amount
            OR NEW.total_adjustment_amount <> OLD.total_adjustment_amount
            OR NEW.total_adjustment_tax_amount <> OLD.total_adjustment_tax_amount)
        AND EXISTS (SELECT 1 FROM payments_invoice WHERE fulfillment_order_id = OLD.fulfillment_order_id)
    BEGIN SELECT RAISE(ABORT, 'invoiced_lines_stay: a line of an invoiced fulfillment order changed'); END
    """,
]

SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS payments_invoiced_lines_stay",
    "DROP TRIGGER IF EXISTS payments_invoiced_fulfillment_order_stays",
    "DROP TRIGGER IF EXISTS payments_invoice_for_shipped_goods_update",
    "DROP TRIGGER IF EXISTS payments_invoice_for_shipped_goods",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("orders", "0003_fulfillment_and_returns"),
        ("payments", "0005_invoice_change_shares"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL, "sqlite": SQLITE}),
            _run({"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}),
        ),
    ]
