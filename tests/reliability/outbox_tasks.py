"""Tasks the outbox tests enqueue: what they were called with is kept in this process (the tests run
them in-process, eagerly)."""

from celery import shared_task

CALLS: list = []


@shared_task(acks_late=True)
def remember(value, *, tag="plain"):
    CALLS.append((value, tag))
    return value


@shared_task(acks_late=True)
def explode(value):
    CALLS.append((value, "exploded"))
    raise ValueError(f"cannot do {value}")


@shared_task(bind=True, acks_late=True, max_retries=1)
def retry_once(self, value):
    CALLS.append((value, f"attempt {self.request.retries + 1}"))
    if self.request.retries == 0:
        raise self.retry(countdown=30)
    return value
