"""Which payment summaries (and payments) pay an invoice or take a refund: DOMAIN.md §3.7 and §3.8.

Pure functions over amounts. Sources are passed oldest first; every choice between equal amounts
keeps that order, so the older payment summary wins a tie and the result is deterministic.
"""

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from orders.money import ZERO


class InsufficientFunds(ValueError):
    def __init__(self, needed: Decimal, available: Decimal):
        super().__init__(f"{needed} is needed and only {available} is available.")
        self.needed = needed
        self.available = available


@dataclass(frozen=True)
class Source:
    key: Hashable
    available: Decimal


@dataclass(frozen=True)
class SequenceStep:
    """Take `amount` from this source first; 0 means as much as it has."""

    key: Hashable
    amount: Decimal


Allocation = tuple[Hashable, Decimal]


def _positive(sources: Iterable[Source]) -> list[Source]:
    return [source for source in sources if source.available > 0]


def exact_else_largest(sources: Sequence[Source], amount: Decimal) -> list[Allocation]:
    """§3.7: a source holding exactly what remains, else the largest; repeat while anything remains."""
    pool = _positive(sources)
    remaining = amount
    taken: list[Allocation] = []
    while remaining > 0 and pool:
        pick = next((s for s in pool if s.available == remaining), None) or max(pool, key=lambda s: s.available)
        amount_taken = min(pick.available, remaining)
        taken.append((pick.key, amount_taken))
        remaining -= amount_taken
        pool.remove(pick)
    return taken


def exact_else_smallest_sufficient(sources: Sequence[Source], amount: Decimal) -> list[Allocation]:
    """§3.8: a source holding exactly the amount, else the smallest that covers it, else several in
    descending order of what they hold."""
    pool = _positive(sources)
    if amount <= 0 or not pool:
        return []
    exact = next((s for s in pool if s.available == amount), None)
    if exact is not None:
        return [(exact.key, amount)]
    sufficient = [s for s in pool if s.available > amount]
    if sufficient:
        return [(min(sufficient, key=lambda s: s.available).key, amount)]
    taken: list[Allocation] = []
    remaining = amount
    for source in sorted(pool, key=lambda s: s.available, reverse=True):
        if remaining <= 0:
            break
        amount_taken = min(source.available, remaining)
        taken.append((source.key, amount_taken))
        remaining -= amount_taken
    return taken


def merge(allocations: Iterable[Allocation]) -> list[Allocation]:
    """One allocation per source, in the order each source was first chosen."""
    merged: dict[Hashable, Decimal] = {}
    for key, amount in allocations:
        merged[key] = merged.get(key, ZERO) + amount
    return [(key, amount) for key, amount in merged.items() if amount > 0]


@dataclass
class FundsSource:
    key: Hashable
    balance: Decimal  # captured and not applied
    capturable: Decimal  # authorized and not yet captured


@dataclass
class FundsPlan:
    applications: list[Allocation] = field(default_factory=list)
    captures: list[Allocation] = field(default_factory=list)
    shortfall: Decimal = ZERO

    @property
    def applied_amount(self) -> Decimal:
        return sum((amount for _, amount in self.applications), ZERO)

    @property
    def capture_amount(self) -> Decimal:
        return sum((amount for _, amount in self.captures), ZERO)


def plan_ensure_funds(
    amount: Decimal, sources: Sequence[FundsSource], sequences: Sequence[SequenceStep] = (), allow_partial: bool = False
) -> FundsPlan:
    """Pay `amount`: listed sequences first (each from its balance, then by capture), then, unless
    partial payment is allowed after them, captured balances and then captures by §3.7."""
    total = sum((s.balance + s.capturable for s in sources), ZERO)
    if amount > total and not allow_partial:
        raise InsufficientFunds(amount, total)
    balances = {s.key: s.balance for s in sources}
    capturable = {s.key: s.capturable for s in sources}
    plan = FundsPlan()
    remaining = amount
    for step in sequences:
        want = remaining if step.amount == 0 else min(step.amount, remaining)
        from_balance = min(balances[step.key], want)
        from_capture = min(capturable[step.key], want - from_balance)
        balances[step.key] -= from_balance
        capturable[step.key] -= from_capture
        plan.applications.append((step.key, from_balance))
        plan.captures.append((step.key, from_capture))
        remaining -= from_balance + from_capture
    if not (sequences and allow_partial):
        applied = exact_else_largest([Source(s.key, balances[s.key]) for s in sources], remaining)
        plan.applications.extend(applied)
        remaining -= sum((a for _, a in applied), ZERO)
        captured = exact_else_largest([Source(s.key, capturable[s.key]) for s in sources], remaining)
        plan.captures.extend(captured)
        remaining -= sum((a for _, a in captured), ZERO)
    plan.applications = merge(plan.applications)
    plan.captures = merge(plan.captures)
    plan.shortfall = remaining
    return plan


@dataclass
class RefundPlan:
    refunds: list[Allocation] = field(default_factory=list)
    shortfall: Decimal = ZERO

    @property
    def refund_amount(self) -> Decimal:
        return sum((amount for _, amount in self.refunds), ZERO)


def plan_refunds(
    amount: Decimal, sources: Sequence[Source], sequences: Sequence[SequenceStep] = (), allow_partial: bool = False
) -> RefundPlan:
    """Refund `amount`: listed sequences first, then (unless partial is allowed after them) §3.8."""
    total = sum((s.available for s in _positive(sources)), ZERO)
    if amount > total and not allow_partial:
        raise InsufficientFunds(amount, total)
    available = {s.key: s.available for s in sources}
    plan = RefundPlan()
    remaining = amount
    for step in sequences:
        want = remaining if step.amount == 0 else min(step.amount, remaining)
        taken = min(max(available[step.key], ZERO), want)
        available[step.key] -= taken
        plan.refunds.append((step.key, taken))
        remaining -= taken
    if not (sequences and allow_partial):
        chosen = exact_else_smallest_sufficient([Source(s.key, available[s.key]) for s in sources], remaining)
        plan.refunds.extend(chosen)
        remaining -= sum((a for _, a in chosen), ZERO)
    plan.refunds = merge(plan.refunds)
    plan.shortfall = remaining
    return plan
