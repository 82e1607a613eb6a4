import pytest

from config.celery import app as celery_app


@pytest.fixture
def eager_tasks():
    """Tasks run in-process when enqueued (the logic; a real worker is tested on its own)."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous
