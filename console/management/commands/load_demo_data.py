"""Demo data for `make run`: the sales channels, a sign-in for each role, locations with stock, and
orders in every state (console.demo), all made through the services the API and the console call.

Safe to run again: what exists is kept (a password someone changed is not reset, an order that exists
is not placed again), what is missing is created. It hands out known passwords, so it refuses to run
with DEBUG off unless forced.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from console.demo.background import background_work_inline
from console.demo.catalog import create_locations_and_stock
from console.demo.report import demo_report
from console.demo.scenarios import DEMO_SEED, create_demo_orders
from console.demo.steps import Staff
from orders.models import SalesChannel

DEMO_CHANNELS = {
    "Web US": "United States storefront (USD)",
    "Web EU": "European storefront (EUR)",
    "Web JP": "Japanese storefront (JPY)",
    "Retail Stores": "Orders placed in the shops",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    group: str | None = None
    is_superuser: bool = False


DEMO_USERS = [
    DemoUser("admin", "admin", "superuser: Django admin and console", is_superuser=True),
    DemoUser("agent", "agent", "console, group Agent", group="Agent"),
    DemoUser("supervisor", "supervisor", "console, group Supervisor", group="Supervisor"),
]


def create_channels() -> list[SalesChannel]:
    return [
        SalesChannel.objects.get_or_create(name=name, defaults={"description": description})[0]
        for name, description in DEMO_CHANNELS.items()
    ]


def create_user(demo: DemoUser) -> str:
    """Create the user if missing; return the password to print (or why there is none to print)."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=demo.username,
        defaults={
            "email": f"{demo.username}@example.com",
            "is_staff": demo.is_superuser,
            "is_superuser": demo.is_superuser,
        },
    )
    if created:
        user.set_password(demo.password)
        user.save(update_fields=["password"])
    if demo.group:
        # The console's migration creates the groups with their permissions; this only joins them.
        user.groups.add(Group.objects.get_or_create(name=demo.group)[0])
    if created or user.check_password(demo.password):
        return demo.password
    return "(existing user, password changed since)"


class Command(BaseCommand):
    help = "Create the demo sales channels, sign-ins and orders (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="Where the server will listen, for the printed links."
        )

    def handle(self, *args, force: bool, base_url: str, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "load_demo_data creates users with known passwords; it runs with DEBUG=1 only (or --force)."
            )
        with transaction.atomic():
            channels = create_channels()
            passwords = {demo.username: create_user(demo) for demo in DEMO_USERS}
        users = get_user_model().objects.in_bulk(["agent", "supervisor"], field_name="username")
        staff = Staff(agent=users["agent"], supervisor=users["supervisor"])
        with background_work_inline():
            create_locations_and_stock(DEMO_SEED)
            loaded = create_demo_orders(staff)

        base_url = base_url.rstrip("/")
        out = self.stdout
        out.write(self.style.SUCCESS("Demo data ready."))
        out.write(f"  Sales channels: {', '.join(channel.name for channel in channels)}")
        out.write(
            f"  Demo orders created: {loaded.created}"
            + (f" ({loaded.existing} were there already)" if loaded.existing else "")
        )
        for line in demo_report().lines():
            out.write(line)
        out.write("")
        out.write(f"Sign in at {base_url}/console/ (agent console) or {base_url}/admin/ (Django admin):")
        width = max(len(demo.username) for demo in DEMO_USERS) + 2
        pass_width = max(len(password) for password in passwords.values()) + 2
        out.write(f"  {'username'.ljust(width)}{'password'.ljust(pass_width)}role")
        for demo in DEMO_USERS:
            out.write(f"  {demo.username.ljust(width)}{passwords[demo.username].ljust(pass_width)}{demo.role}")
        out.write("")
        out.write(f"API docs: {base_url}/api/v1/docs/   API keys: DEBUG=1 python manage.py create_api_client --help")
