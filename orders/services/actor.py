"""Who does an action, as the services record it: a console user, an API client, or nobody (a task)."""

from django.contrib.auth.models import User

from orders.models import ApiClient

Actor = User | ApiClient | None
