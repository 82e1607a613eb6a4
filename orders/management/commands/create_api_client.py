"""Create an API client and print its key once: the database keeps only the key's digest."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from orders.models import ApiClient, SalesChannel, Scope
from orders.models.api_clients import channel_scope_conflict


class Command(BaseCommand):
    help = (
        "Create an API client with scopes and, for a storefront, one sales channel. "
        "The key is printed once, alone on the last line, and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A unique name for the client, e.g. 'web-storefront'.")
        parser.add_argument(
            "--scopes",
            required=True,
            help=f"Comma-separated scopes: {', '.join(Scope.values)}. fulfillment:admin (locations and "
            "inventory, shared by every channel) is for back-office keys: not with --channel.",
        )
        parser.add_argument(
            "--channel",
            default=None,
            help="Sales channel name: the key then sees and acts on that channel's records only.",
        )

    def handle(self, *args, name, scopes, channel, **options):
        requested = [scope.strip() for scope in scopes.split(",") if scope.strip()]
        if not requested:
            raise CommandError("Give at least one scope.")
        unknown = sorted(set(requested) - set(Scope.values))
        if unknown:
            raise CommandError(f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(Scope.values)}.")
        sales_channel = None
        if channel is not None:
            sales_channel = SalesChannel.objects.filter(name=channel).first()
            if sales_channel is None:
                known = ", ".join(SalesChannel.objects.values_list("name", flat=True)) or "none yet"
                raise CommandError(f"No sales channel '{channel}'. Known: {known}.")
        conflict = channel_scope_conflict(requested, sales_channel)
        if conflict:
            raise CommandError(conflict)
        with transaction.atomic():
            if ApiClient.objects.filter(name=name).exists():
                raise CommandError(f"An API client named '{name}' exists already.")
            client, raw_key = ApiClient.issue(name=name, scopes=requested, sales_channel=sales_channel)

        self.stdout.write(f"Created API client '{client.name}' (id {client.pk}).")
        self.stdout.write(f"Scopes: {', '.join(client.scopes)}")
        self.stdout.write(f"Sales channel: {sales_channel.name if sales_channel else 'all (back office)'}")
        self.stdout.write("The key below is shown once; store it now. Send it as 'Authorization: Bearer <key>'.")
        self.stdout.write(raw_key)
