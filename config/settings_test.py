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
# Under pytest-xdist (make test) each worker has a test database of its own (pytest-django names it),
# and here a Celery data folder of its own: the embedded broker's queue and the beat schedule of the
# workers its tests start are files, which two test processes must not share. Set in the environment,
# so those worker processes read the same folder.
if os.environ.get("PYTEST_XDIST_WORKER"):
    from pathlib import Path

    os.environ.setdefault(
        "CELERY_DATA_DIR",
        str(Path(__file__).resolve().parent.parent / ".celery" / f"test-{os.environ['PYTEST_XDIST_WORKER']}"),
    )

from config.settings import *  # noqa: F403
