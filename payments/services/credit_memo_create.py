"""Create a credit memo from change orders that reduce what the customer owes (create-credit-memo).

A reduction is refunded once (docs/money.md, rule 1): only post-fulfillment reductions (returns,
post-fulfillment discounts) are credited, each at most once (a unique link row enforces the "once" in
the database). Pre- and in-fulfillment reductions are settled as excess funds, so crediting them
would refund them a second time.
"""

from collections.abc import Sequence

from django.db import transaction

from orders.errors import FieldError
from payments import errors as codes
from payments.calculations import change_item_amounts
from payments.models import CreditMemo, CreditMemoChangeOrder

from .document_change_orders import load_change_orders, owed_change, refuse
from .document_writer import LineSource, write_document
from .locks import lock_summary
from .netting import net_documents


def create_credit_memo(summary_id: int, change_order_ids: Sequence[int | str]) -> CreditMemo:
    with transaction.atomic():
        summary = lock_summary(summary_id)
        orders = load_change_orders(summary, change_order_ids)
        errors = []
        credited = set(
            CreditMemoChangeOrder.objects.filter(change_order__in=orders).values_list("change_order_id", flat=True)
        )
        for index, order in enumerate(orders):
            field = f"changeOrderIds[{index}]"
            if order.pk in credited:
                errors.append(
                    FieldError(f"Change order {order.pk} is already on a credit memo.", field, codes.ALREADY_CREDITED)
                )
            elif owed_change(order) >= 0:
                errors.append(
                    FieldError(
                        f"Change order {order.pk} does not reduce the amount owed; it cannot be credited.",
                        field,
                        codes.NOT_A_REDUCTION,
                    )
                )
            elif not order.is_post_fulfillment_reduction:
                errors.append(
                    FieldError(
                        f"Change order {order.pk} ({order.change_type}) reduces what had not shipped: it is settled "
                        "as excess funds (ensure refunds), never on a credit memo.",
                        field,
                        codes.SETTLED_AS_EXCESS_FUNDS,
                    )
                )
        refuse(errors)

        sources = [
            LineSource(item.order_item_summary, change_item_amounts(item).negated(), {"change_order_item": item})
            for order in orders
            for item in order.items.all()
        ]
        memo: CreditMemo = write_document(CreditMemo, summary, sources)
        CreditMemoChangeOrder.objects.bulk_create(
            [CreditMemoChangeOrder(credit_memo=memo, change_order=order) for order in orders]
        )
        if net_documents(summary):
            memo.refresh_from_db(fields=["balance"])
    return memo
