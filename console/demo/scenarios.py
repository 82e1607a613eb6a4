"""The demo's orders and what happens to each: a fixed sequence of stories per sales channel, so that
the console has orders in every state (DOMAIN.md §5) and every money record to show.

Each order draws its customer, products and dates from a random generator seeded with its own order
number: the data set is the same on every machine, and an order skipped because it exists already
does not change the ones after it.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from orders.calculations.inputs import AdjustInput, AdjustItemInput, ChangeItemInput, FeeInput
from orders.models import FulfillmentOrderStatus, Order, OrderKind
from orders.services.return_orders import ReturnItemInput, ReturnOrderLineInput

from . import steps
from .catalog import EXPENSIVE, PRE_ORDER, PRODUCTS, STORE_PRODUCTS, STORES, Product
from .customers import CUSTOMERS, Customer
from .orders import RETAIL, WEB_EU, WEB_JP, WEB_US, Channel, GroupPlan, OrderPlan, place_order
from .steps import ADJUST, CANCEL, RETURN, Staff

D = Decimal
DEMO_SEED = 2026

ASSIGNED, PICKPACK = FulfillmentOrderStatus.ASSIGNED, FulfillmentOrderStatus.PICKPACK
GIFT_MESSAGES = {
    "US": ["Happy birthday! Enjoy the miles.", "Congrats on the new job 🎉", "For the trail season — love, M."],
    "EU": ["Alles Gute zum Geburtstag!", "Joyeux anniversaire ! Bises.", "Veel plezier ermee!"],
    "JP": ["お誕生日おめでとう！", "いつもありがとう。", "合格おめでとう！"],
}
# Post-fulfillment goodwill per currency; Gross channels state it with tax, as their prices are.
GOODWILL = {
    "USD": ("AmountWithoutTax", D("-15.00")),
    "EUR": ("AmountWithTax", D("-15.00")),
    "JPY": ("AmountWithTax", D("-1500")),
}


@dataclass(frozen=True)
class Context:
    summary_id: int
    plan: OrderPlan
    staff: Staff


@dataclass(frozen=True)
class Story:
    name: str
    run: Callable[[Context], None]
    # How long ago the order was placed: "new" (hours), "open" (days), "done" (weeks).
    age: str = "done"
    groups: int = 1
    payment: str = "card"
    # Shape the story needs: "pair" (a line of 2 units and another line), "two lines", "pre-order", "expensive".
    needs: str = ""


# --- The stories -------------------------------------------------------------------------------------------


def _nothing_yet(ctx: Context) -> None:
    """Placed moments ago; routing has not run (automatic routing is off while the demo loads)."""


def _route(ctx: Context) -> None:
    steps.route(ctx.summary_id)


def _assigned(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.advance(ctx.summary_id, ASSIGNED)


def _pickpack(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.advance(ctx.summary_id, ASSIGNED)
    steps.advance(ctx.summary_id, PICKPACK)


def _partially_fulfilled(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id, group=0)
    steps.advance(ctx.summary_id, ASSIGNED, group=1)
    steps.advance(ctx.summary_id, PICKPACK, group=1)


def _fulfilled(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)


def _canceled(ctx: Context) -> None:
    items = [
        ChangeItemInput(
            ois.pk,
            ois.quantity,
            "Customer Changed Mind",
            shipping_reduction=True,
            reason_text="Found a better size in a store",
        )
        for ois in steps.products(ctx.summary_id)
    ]
    steps.console_change(ctx.summary_id, CANCEL, items, ctx.staff)


def _partial_cancel(ctx: Context) -> None:
    pair = next(ois for ois in steps.products(ctx.summary_id) if ois.quantity >= 2)
    steps.console_change(
        ctx.summary_id,
        CANCEL,
        [
            ChangeItemInput(
                pair.pk, D(1), "Customer Changed Mind", shipping_reduction=True, reason_text="Ordered two by mistake"
            ),
        ],
        ctx.staff,
    )
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)


def _cancel_after_allocation(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    last = steps.products(ctx.summary_id)[-1]
    steps.cancel_on_fulfillment_order(ctx.summary_id, last.sku, D(1))
    steps.console_change(
        ctx.summary_id,
        CANCEL,
        [
            ChangeItemInput(
                last.pk,
                D(1),
                "Damaged",
                reason_text="The last unit was damaged on the shelf; the customer agreed to cancel it",
            ),
        ],
        ctx.staff,
    )
    steps.ship(ctx.summary_id)


def _returned(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)
    items = [
        ChangeItemInput(
            ois.pk,
            ois.quantity,
            "Wrong Item",
            shipping_reduction=True,
            reason_text="Too small; the customer will reorder",
        )
        for ois in steps.products(ctx.summary_id)
    ]
    steps.console_change(ctx.summary_id, RETURN, items, ctx.staff)


def _return_with_fee(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)
    first = steps.products(ctx.summary_id)[0]
    restocking = FeeInput(D("10"), "Percentage", "Restocking fee: opened and worn", "Customer Changed Mind")
    steps.return_with_fee(
        ctx.summary_id,
        [
            ChangeItemInput(
                first.pk, D(1), "Customer Changed Mind", reason_text="Worn once indoors", fees=(restocking,)
            ),
        ],
        ctx.staff.agent,
    )


def _return_order_in_two_parts(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)
    pair, single = steps.products(ctx.summary_id)[:2]
    return_order = steps.open_return_order(
        ctx.summary_id,
        [
            ReturnOrderLineInput(pair.pk, D(2), "Wrong Item"),
            ReturnOrderLineInput(single.pk, D(1), "Damaged"),
        ],
        ctx.staff.agent,
        description="Customer sends back both pairs and the damaged item in two parcels",
    )
    pair_line, single_line = return_order.lines.order_by("id")
    first = steps.receive_returns(
        return_order, [ReturnItemInput(pair_line.pk, quantity_returned=D(1))], ctx.staff.agent
    )
    rest_of_pair = first.splits[0][1]
    steps.receive_returns(
        return_order,
        [
            ReturnItemInput(
                rest_of_pair, quantity_rejected=D(1), reason_for_rejection="Worn outdoors; outside the policy"
            ),
            ReturnItemInput(single_line.pk, quantity_returned=D(1)),
        ],
        ctx.staff.agent,
    )


def _adjusted_before_fulfillment(ctx: Context) -> None:
    first = steps.products(ctx.summary_id)[0]
    steps.console_change(
        ctx.summary_id,
        ADJUST,
        AdjustInput(
            (
                AdjustItemInput(
                    first.pk, "Percentage", D("-10"), "Price Match", "Matched a competitor's advertised price"
                ),
            )
        ),
        ctx.staff,
    )
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)


def _adjusted_after_fulfillment(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)
    first = steps.products(ctx.summary_id)[0]
    kind, amount = GOODWILL[ctx.plan.channel.currency]
    steps.console_change(
        ctx.summary_id,
        ADJUST,
        AdjustInput((AdjustItemInput(first.pk, kind, amount, "Late Delivery", "The parcel arrived four days late"),)),
        ctx.staff,
    )


def _refund_awaiting_approval(ctx: Context) -> None:
    steps.route(ctx.summary_id)
    steps.ship(ctx.summary_id)
    expensive = next(ois for ois in steps.products(ctx.summary_id) if ois.sku in {p.sku for p in EXPENSIVE})
    steps.console_change(
        ctx.summary_id,
        RETURN,
        [
            ChangeItemInput(expensive.pk, expensive.quantity, "Damaged", reason_text="Cracked lens on arrival"),
        ],
        ctx.staff,
        as_agent=True,
    )


CREATED = Story("created", _nothing_yet, age="new")
UNROUTABLE = Story("unroutable", _route, age="new", needs="pre-order")
ALLOCATED = Story("allocated", _route, age="open")
ASSIGNED_STORY = Story("assigned", _assigned, age="open")
PICKPACK_STORY = Story("pickpack", _pickpack, age="open")
PARTIAL = Story("partially fulfilled", _partially_fulfilled, age="open", groups=2)
FULFILLED = Story("fulfilled", _fulfilled)
TWO_GROUPS = replace(FULFILLED, name="fulfilled, two delivery groups", groups=2)
SPLIT_PAYMENT = replace(FULFILLED, name="fulfilled, gift card and card", payment="split")
DECLINED = replace(FULFILLED, name="capture declined", payment="decline")
TIMED_OUT = replace(FULFILLED, name="capture timed out, then reconciled", payment="timeout")
CANCELED = Story("canceled", _canceled, age="open")
PARTIAL_CANCEL = Story("partly canceled", _partial_cancel, needs="pair")
CANCEL_AFTER_ALLOCATION = Story("canceled after allocation", _cancel_after_allocation, needs="two lines")
RETURNED = Story("returned", _returned)
RETURN_FEE = Story("returned with a restocking fee", _return_with_fee)
RETURN_ORDER = Story("return order in two parts", _return_order_in_two_parts, needs="pair")
ADJUSTED_PRE = Story("discounted before fulfillment", _adjusted_before_fulfillment)
ADJUSTED_POST = Story("discounted after fulfillment", _adjusted_after_fulfillment)
AWAITING_APPROVAL = Story("refund awaiting approval", _refund_awaiting_approval, needs="expensive")

SEQUENCE: list[tuple[Channel, list[Story]]] = [
    (
        WEB_US,
        [
            FULFILLED,
            CREATED,
            TWO_GROUPS,
            ASSIGNED_STORY,
            SPLIT_PAYMENT,
            RETURNED,
            PICKPACK_STORY,
            CANCELED,
            FULFILLED,
            PARTIAL_CANCEL,
            TIMED_OUT,
            ADJUSTED_POST,
            replace(SPLIT_PAYMENT, groups=2),
            RETURN_ORDER,
            ALLOCATED,
            DECLINED,
            RETURN_FEE,
            replace(CREATED, groups=2),
            CANCEL_AFTER_ALLOCATION,
            ADJUSTED_PRE,
            FULFILLED,
            AWAITING_APPROVAL,
            PARTIAL,
            UNROUTABLE,
            RETURNED,
            FULFILLED,
        ],
    ),
    (
        WEB_EU,
        [
            FULFILLED,
            PICKPACK_STORY,
            TWO_GROUPS,
            RETURNED,
            CREATED,
            SPLIT_PAYMENT,
            DECLINED,
            PARTIAL_CANCEL,
            ALLOCATED,
            ADJUSTED_POST,
            CANCELED,
            FULFILLED,
            PARTIAL,
            FULFILLED,
        ],
    ),
    (
        WEB_JP,
        [
            FULFILLED,
            ASSIGNED_STORY,
            SPLIT_PAYMENT,
            RETURN_ORDER,
            CREATED,
            TIMED_OUT,
            TWO_GROUPS,
            CANCELED,
            ADJUSTED_PRE,
            RETURNED,
            FULFILLED,
            FULFILLED,
        ],
    ),
    (
        RETAIL,
        [
            FULFILLED,
            FULFILLED,
            RETURNED,
            FULFILLED,
            PICKPACK_STORY,
            FULFILLED,
            RETURN_FEE,
            FULFILLED,
            FULFILLED,
            ADJUSTED_POST,
            FULFILLED,
            FULFILLED,
        ],
    ),
]


# --- Composing an order ---------------------------------------------------------------------------------


def order_number(channel: Channel, index: int) -> str:
    return f"{channel.prefix}-{10001 + index}"


def _ordered_at(story: Story, rng: random.Random, now: datetime) -> datetime:
    if story.age == "new":
        ago = timedelta(hours=rng.randint(1, 20))
    elif story.age == "open":
        ago = timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 23))
    else:
        ago = timedelta(days=rng.randint(6, 45), hours=rng.randint(0, 23))
    return (now - ago - timedelta(minutes=rng.randint(0, 59))).replace(second=0, microsecond=0)


def _lines(story: Story, pool: list[Product], rng: random.Random) -> list[tuple[Product, int]]:
    count = max(rng.choice([1, 1, 2, 2, 3]), 2 if story.needs in ("pair", "two lines") else 1)
    chosen = rng.sample(pool, count)
    lines = [(product, rng.choice([1, 1, 1, 2])) for product in chosen]
    if story.needs == "pair":
        lines[0] = (lines[0][0], 2)
        lines[1] = (lines[1][0], 1)
    elif story.needs == "pre-order":
        lines = [(PRE_ORDER, 1), lines[0]]
    elif story.needs == "expensive":
        expensive = rng.choice(EXPENSIVE)
        others = [(product, quantity) for product, quantity in lines if product != expensive]
        lines = [(expensive, 1), *others[:1]]
    return lines


def _at_store(customer: Customer, store) -> Customer:
    """Picked up in the shop: the delivery address is the store's."""
    data = store.data
    return replace(
        customer,
        street=data.street,
        city=data.city,
        state=data.state,
        postal_code=data.postal_code,
        country=data.country,
        latitude=str(data.latitude),
        longitude=str(data.longitude),
    )


def compose(channel: Channel, number: str, story: Story, now: datetime) -> OrderPlan:
    rng = random.Random(f"{DEMO_SEED}:{number}")  # noqa: S311 (reproducible, not secret)
    customers = CUSTOMERS[channel.region]
    customer = rng.choice(customers)
    plan = OrderPlan(
        number=number,
        channel=channel,
        ordered_at=_ordered_at(story, rng, now),
        customer=customer,
        groups=[],
        payment=story.payment,
        card=rng.choice(["Visa", "Visa", "Mastercard"]),
        promotion=rng.random() < 0.2,
    )
    if channel is RETAIL:
        store = rng.choice(STORES)
        plan.payment, plan.tax_rate = "sale", store.sales_tax_rate
        plan.groups = [GroupPlan(_at_store(customer, store), "In Store Pickup", _lines(story, STORE_PRODUCTS, rng))]
        return plan
    methods = list(channel.delivery_charges)
    lines = _lines(story, PRODUCTS, rng)
    plan.groups = [GroupPlan(customer, rng.choice(methods[:1] * 3 + methods[1:]), lines)]
    if story.groups == 2:
        friend = rng.choice([other for other in customers if other != customer])
        taken = {product.sku for product, _ in lines}
        gift_lines = [(product, 1) for product in rng.sample([p for p in PRODUCTS if p.sku not in taken], 2)]
        plan.groups.append(
            GroupPlan(
                friend,
                methods[-1],
                gift_lines[: rng.randint(1, 2)],
                is_gift=True,
                gift_message=rng.choice(GIFT_MESSAGES[channel.region]),
            )
        )
    return plan


# --- Loading ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    created: int
    existing: int


def _exists(channel: Channel, number: str) -> bool:
    return Order.objects.filter(sales_channel__name=channel.name, order_number=number, kind=OrderKind.ORIGINAL).exists()


def create_demo_orders(staff: Staff, *, now: datetime | None = None) -> Loaded:
    """Place every demo order missing so far and take it through its story."""
    now = now or timezone.now()
    created = existing = 0
    for channel, stories in SEQUENCE:
        for index, story in enumerate(stories):
            number = order_number(channel, index)
            if _exists(channel, number):
                existing += 1
                continue
            plan = compose(channel, number, story, now)
            # An order and its story are written together: a load that stops halfway leaves no half-told
            # story behind, and the next run tells it whole.
            try:
                with transaction.atomic():
                    story.run(Context(place_order(plan), plan, staff))
            except Exception as error:
                error.add_note(f"Demo order {number}, story {story.name!r}.")
                raise
            created += 1
    return Loaded(created, existing)
