"""What the demo database holds, in the few lines `make run` prints before the sign-ins."""

from collections import Counter
from dataclasses import dataclass

from orders.models import (
    ACTIVE_PROCESS_EXCEPTION_STATUSES,
    Location,
    OrderSummary,
    OrderSummaryStatus,
    ProcessException,
)
from payments.models import AgentRefund, AgentRefundStatus


@dataclass(frozen=True)
class DemoReport:
    locations: int
    by_status: dict[str, int]
    active_exceptions: dict[str, int]
    pending_approvals: int

    def lines(self) -> list[str]:
        statuses = ", ".join(f"{status} {count}" for status, count in self.by_status.items())
        exceptions = ", ".join(f"{category} {count}" for category, count in sorted(self.active_exceptions.items()))
        return [
            f"  Locations: {self.locations}",
            f"  Order summaries by status: {statuses}",
            f"  Open process exceptions: {exceptions or 'none'}",
            f"  Refunds waiting for a supervisor: {self.pending_approvals}",
        ]


def demo_report() -> DemoReport:
    counts = Counter(OrderSummary.objects.values_list("status", flat=True))
    exceptions = Counter(
        ProcessException.objects.filter(status__in=ACTIVE_PROCESS_EXCEPTION_STATUSES).values_list("category", flat=True)
    )
    return DemoReport(
        locations=Location.objects.count(),
        by_status={status: counts.get(status, 0) for status in OrderSummaryStatus.values},
        active_exceptions=dict(exceptions),
        pending_approvals=AgentRefund.objects.filter(status=AgentRefundStatus.PENDING).count(),
    )
