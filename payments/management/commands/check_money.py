"""Report every order summary whose money breaks the ledger invariant (docs/money.md, rule 9)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from payments.money_check import check_money


class Command(BaseCommand):
    help = "Check the money ledger invariant of every order summary (or those named) and report each break."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("summary_ids", nargs="*", type=int, help="Only these order summaries.")

    def handle(self, *args: object, summary_ids: list[int] | None = None, **options: object) -> None:
        found = check_money(summary_ids or None)
        for summary_id, problems in found.items():
            for problem in problems:
                self.stdout.write(f"order summary {summary_id}: {problem}")
        if found:
            raise CommandError(
                f"{len(found)} order summar{'y breaks' if len(found) == 1 else 'ies break'} the money invariant."
            )
        self.stdout.write("Every order summary keeps the money invariant.")
