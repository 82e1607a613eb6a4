"""Groups Agent and Supervisor with the console's permissions.

Permissions are normally created after all migrations ran (post_migrate), so this migration
creates the ones it hands out itself; post_migrate then finds them already there.
"""

from django.db import migrations

PERMISSIONS = {
    "use_console": "Can sign in to the agent console, search and view orders",
    "change_orders": "Can cancel, return and adjust order items from the console",
    "approve_refunds": "Can approve refunds above the agent refund limit",
    "work_exception_queue": "Can work the process exception queue",
    "manage_fulfillment": "Can create, move and cancel fulfillment orders from the console",
}

GROUPS = {
    "Agent": ["use_console", "change_orders"],
    "Supervisor": list(PERMISSIONS),
}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="console", model="consolepermissions")
    permissions = {
        codename: Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in PERMISSIONS.items()
    }
    for group_name, codenames in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*(permissions[codename] for codename in codenames))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
