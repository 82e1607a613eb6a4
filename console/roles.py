"""The console's roles: which permissions each group holds (the migration made them with these)."""

from django.contrib.auth.models import Group, Permission

ROLE_PERMISSIONS = {
    "Agent": ["use_console", "change_orders"],
    "Supervisor": [
        "use_console",
        "change_orders",
        "approve_refunds",
        "work_exception_queue",
        "manage_fulfillment",
        "work_location_queue",
    ],
    # Store associates and warehouse staff: the work queues of their assigned locations, nothing else.
    "Fulfillment": ["work_location_queue"],
}


def ensure_roles() -> None:
    """Create the groups with their permissions where they are missing (e.g. after a database flush)."""
    permissions = {
        p.codename: p
        for p in Permission.objects.filter(content_type__app_label="console", content_type__model="consolepermissions")
    }
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(permissions[codename] for codename in codenames))
