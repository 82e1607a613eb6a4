"""Building blocks for admin registrations in every app.

Money and quantity records are kept consistent by the services (roll-ups, change orders, payment
balances); an edit by hand in the admin would bypass them and break the invariants of DOMAIN.md.
Such records use these mixins: the admin shows them, and nothing else.
"""

from django.contrib import admin

from orders.money import UnknownCurrency, round_money


class ReadOnlyAdminMixin:
    """A ModelAdmin that shows records and refuses to add, change or delete them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """An inline of read-only rows; `select_related` names the relations its columns display."""

    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    select_related: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):
        # All of them: the formset is built without them, so non-editable fields and properties may be listed.
        return [*self.readonly_fields, *(name for name in self.fields or () if name not in self.readonly_fields)]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related(*self.select_related) if self.select_related else queryset


class ReadOnlyTabularInline(ReadOnlyInlineMixin, admin.TabularInline):
    pass


def _follow(obj, path: str):
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def format_money(amount, currency: str) -> str:
    """`1234.5` USD -> `1,234.50 USD`; the stored four places cut to the currency's minor unit."""
    if amount is None:
        return "-"
    try:
        rounded = round_money(amount, currency)
    except UnknownCurrency:
        return f"{amount} {currency}"
    return f"{rounded:,} {currency}"


def money_column(field: str, description: str, *, currency: str = "currency", ordering: str | None = None):
    """A list_display column showing `field` (a model field or property) with its currency.

    `currency` is a dotted path from the row to its currency code (e.g. `order_summary.currency`);
    the list must select_related along that path so the column costs no query per row.
    """

    @admin.display(description=description, ordering=ordering)
    def column(obj):
        return format_money(_follow(obj, field), _follow(obj, currency))

    column.__name__ = f"{field}_display"
    return column
