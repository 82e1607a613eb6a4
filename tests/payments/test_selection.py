"""Selection of DOMAIN.md §3.7 (ensure funds) and §3.8 (ensure refunds), every case by hand."""

from decimal import Decimal as D

import pytest

from payments.allocation import (
    FundsSource,
    InsufficientFunds,
    SequenceStep,
    Source,
    exact_else_largest,
    exact_else_smallest_sufficient,
    plan_ensure_funds,
    plan_refunds,
)

A, B, C = "A", "B", "C"


def refund_sources(a="20.00", b="60.00", c="100.00"):
    return [Source(A, D(a)), Source(B, D(b)), Source(C, D(c))]


# --- §3.8 refunds -----------------------------------------------------------------------------


def test_refund_worked_example_smallest_sufficient():
    # DOMAIN §6: memo 50; A 20 / B 60 / C 100: no exact match; B (60) is the smallest ≥ 50.
    assert plan_refunds(D("50.00"), refund_sources()).refunds == [(B, D("50.00"))]


def test_refund_worked_example_descending_when_none_suffices():
    # DOMAIN §6: memo 150; none holds 150: C 100, then B 150 − 100 = 50.
    plan = plan_refunds(D("150.00"), refund_sources())
    assert plan.refunds == [(C, D("100.00")), (B, D("50.00"))]
    assert plan.shortfall == D("0")


def test_refund_exact_match_wins_over_smaller_sufficient():
    # 60 equals B exactly: B, although C also covers it and A does not.
    assert plan_refunds(D("60.00"), refund_sources()).refunds == [(B, D("60.00"))]


def test_refund_exact_match_wins_even_when_smallest():
    assert plan_refunds(D("20.00"), refund_sources()).refunds == [(A, D("20.00"))]


def test_refund_descending_takes_all_three():
    # 170: C 100, B 60, A 170 − 160 = 10.
    assert plan_refunds(D("170.00"), refund_sources()).refunds == [(C, D("100.00")), (B, D("60.00")), (A, D("10.00"))]


def test_refund_tie_goes_to_the_older_source():
    sources = [Source("old", D("30.00")), Source("new", D("30.00"))]
    # Exact match 30: both hold it; the older is listed first.
    assert exact_else_smallest_sufficient(sources, D("30.00")) == [("old", D("30.00"))]
    # Smallest sufficient for 25: both 30; the older.
    assert exact_else_smallest_sufficient(sources, D("25.00")) == [("old", D("25.00"))]
    # Descending for 45: old 30 then new 15.
    assert exact_else_smallest_sufficient(sources, D("45.00")) == [("old", D("30.00")), ("new", D("15.00"))]


def test_refund_insufficient_funds_refused():
    # 20 + 60 + 100 = 180 < 180.01.
    with pytest.raises(InsufficientFunds) as raised:
        plan_refunds(D("180.01"), refund_sources())
    assert raised.value.available == D("180.00")


def test_refund_insufficient_allowed_partial_takes_everything():
    plan = plan_refunds(D("200.00"), refund_sources(), allow_partial=True)
    assert plan.refunds == [(C, D("100.00")), (B, D("60.00")), (A, D("20.00"))]
    assert plan.shortfall == D("20.00")  # 200 − 180


def test_refund_sequences_then_default_rule():
    # Sequence A 15: A gives 15; the remaining 50 − 15 = 35 by the default rule over A 5 / B 60 / C 100:
    # no exact, smallest sufficient is B.
    plan = plan_refunds(D("50.00"), refund_sources(), sequences=[SequenceStep(A, D("15.00"))])
    assert plan.refunds == [(A, D("15.00")), (B, D("35.00"))]


def test_refund_sequences_with_allow_partial_stop_after_the_list():
    plan = plan_refunds(D("50.00"), refund_sources(), sequences=[SequenceStep(A, D("15.00"))], allow_partial=True)
    assert plan.refunds == [(A, D("15.00"))]
    assert plan.shortfall == D("35.00")  # 50 − 15


def test_refund_sequence_zero_takes_as_much_as_possible():
    # A 0 = all of A (20); then 50 − 20 = 30 from B (smallest sufficient of B 60 / C 100).
    plan = plan_refunds(D("50.00"), refund_sources(), sequences=[SequenceStep(A, D("0"))])
    assert plan.refunds == [(A, D("20.00")), (B, D("30.00"))]


def test_refund_sequence_larger_than_the_source_takes_what_it_has():
    # A holds 20 of the 35 asked; the remaining 50 − 20 = 30 comes from B.
    plan = plan_refunds(D("50.00"), refund_sources(), sequences=[SequenceStep(A, D("35.00"))])
    assert plan.refunds == [(A, D("20.00")), (B, D("30.00"))]


def test_refund_sequence_and_rule_on_the_same_source_merge():
    # C 10 by sequence, then 150 − 10 = 140 over A 20 / B 60 / C 90: none suffices:
    # C 90, B 50. C appears once: 10 + 90 = 100.
    plan = plan_refunds(D("150.00"), refund_sources(), sequences=[SequenceStep(C, D("10.00"))])
    assert plan.refunds == [(C, D("100.00")), (B, D("50.00"))]


# --- §3.7 ensure funds ------------------------------------------------------------------------


def test_funds_exact_else_largest():
    sources = [Source(A, D("20.00")), Source(B, D("60.00")), Source(C, D("100.00"))]
    assert exact_else_largest(sources, D("60.00")) == [(B, D("60.00"))]
    # 50: no exact: largest C covers it.
    assert exact_else_largest(sources, D("50.00")) == [(C, D("50.00"))]
    # 170: C 100, then 70 remains: no exact, largest B 60; then 10 remains: A 10.
    assert exact_else_largest(sources, D("170.00")) == [(C, D("100.00")), (B, D("60.00")), (A, D("10.00"))]
    # 120: C 100, then 20 remains: A holds exactly 20, preferred to the larger B.
    assert exact_else_largest(sources, D("120.00")) == [(C, D("100.00")), (A, D("20.00"))]


def test_funds_tie_goes_to_the_older_source():
    sources = [Source("old", D("40.00")), Source("new", D("40.00"))]
    assert exact_else_largest(sources, D("30.00")) == [("old", D("30.00"))]
    assert exact_else_largest(sources, D("40.00")) == [("old", D("40.00"))]


def test_funds_applies_captured_balances_before_capturing():
    # Invoice 118.80. A: balance 18.80, can capture 200; B: balance 50, can capture 0.
    # Step 1: no balance equals 118.80; largest B 50; 68.80 left: A's 18.80 is not equal, it is the largest: 18.80.
    # Step 2: 118.80 − 68.80 = 50.00 left to capture: only A can: 50.00.
    sources = [FundsSource(A, D("18.80"), D("200.00")), FundsSource(B, D("50.00"), D("0"))]
    plan = plan_ensure_funds(D("118.80"), sources)
    assert plan.applications == [(B, D("50.00")), (A, D("18.80"))]
    assert plan.captures == [(A, D("50.00"))]
    assert plan.shortfall == D("0")


def test_funds_capture_exact_match_then_largest():
    # Nothing captured. 75: B can capture exactly 75. 130: C 100 (largest), then 30 from B (largest of A 20 / B 75).
    sources = [
        FundsSource(A, D("0"), D("20.00")),
        FundsSource(B, D("0"), D("75.00")),
        FundsSource(C, D("0"), D("100.00")),
    ]
    assert plan_ensure_funds(D("75.00"), sources).captures == [(B, D("75.00"))]
    assert plan_ensure_funds(D("130.00"), sources).captures == [(C, D("100.00")), (B, D("30.00"))]


def test_funds_insufficient_refused():
    # Σ balance + capturable = 10 + 20 + 30 = 60 < 60.01.
    sources = [FundsSource(A, D("10.00"), D("20.00")), FundsSource(B, D("0"), D("30.00"))]
    with pytest.raises(InsufficientFunds) as raised:
        plan_ensure_funds(D("60.01"), sources)
    assert (raised.value.needed, raised.value.available) == (D("60.01"), D("60.00"))


def test_funds_sequences_first_then_default_rule():
    # Sequence B 30: B has balance 10 (applied) and captures 20. Then 100 − 30 = 70 by default:
    # no balance left; capture exact? A can capture 50, B 80 − 20 = 60: none is 70; largest B 60; then A 10.
    sources = [FundsSource(A, D("0"), D("50.00")), FundsSource(B, D("10.00"), D("80.00"))]
    plan = plan_ensure_funds(D("100.00"), sources, sequences=[SequenceStep(B, D("30.00"))])
    assert plan.applications == [(B, D("10.00"))]
    assert plan.captures == [(B, D("80.00")), (A, D("10.00"))]


def test_funds_sequences_with_allow_partial_stop():
    sources = [FundsSource(A, D("0"), D("50.00")), FundsSource(B, D("10.00"), D("80.00"))]
    plan = plan_ensure_funds(D("100.00"), sources, sequences=[SequenceStep(B, D("30.00"))], allow_partial=True)
    assert plan.applications == [(B, D("10.00"))]
    assert plan.captures == [(B, D("20.00"))]
    assert plan.shortfall == D("70.00")  # 100 − 30


def test_funds_allow_partial_without_sequences_pays_what_exists():
    sources = [FundsSource(A, D("5.00"), D("15.00"))]
    plan = plan_ensure_funds(D("50.00"), sources, allow_partial=True)
    assert (plan.applied_amount, plan.capture_amount, plan.shortfall) == (D("5.00"), D("15.00"), D("30.00"))
