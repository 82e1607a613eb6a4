"""The test suite's settings (pyproject's DJANGO_SETTINGS_MODULE): config.settings as a laptop has it.

Tests run with DEBUG off and, unless SECRET_KEY is set, the public development key, which config.settings
refuses outside DEBUG. The flag goes into the environment before config.settings reads it, so the
processes the tests start (Celery workers, gunicorn, manage.py) inherit it with the settings module.
"""

import os

os.environ.setdefault("OMS_ALLOW_DEVELOPMENT_SECRET_KEY", "1")
# The change feed lists an event as soon as it is committed: tests read what they just did (the wait
# that guards against late commits is tested with its own value in tests/events).
os.environ.setdefault("OMS_EVENT_FEED_SETTLE_SECONDS", "0")

from config.settings import *  # noqa: F403
