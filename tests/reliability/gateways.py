"""A payment provider behind a network that fails: the sandbox, reached only after the first calls
raise ConnectionError without getting through (set OMS_PAYMENT_GATEWAY to this class)."""

from payments.gateway.sandbox import SandboxGateway


class UnreachableGateway(SandboxGateway):
    # Class state: the app builds a new adapter for every call.
    failures_left = 0
    calls: list[tuple[str, str]] = []

    @classmethod
    def fail_next(cls, count: int) -> None:
        cls.failures_left = count
        cls.calls = []

    @classmethod
    def _network(cls, what: str, key: str) -> None:
        cls.calls.append((what, key))
        if cls.failures_left > 0:
            cls.failures_left -= 1
            raise ConnectionError("connection refused by the payment provider")

    def send(self, request):
        self._network("send", request.idempotency_key)
        return super().send(request)

    def lookup(self, interaction_type, idempotency_key):
        self._network("lookup", idempotency_key)
        return super().lookup(interaction_type, idempotency_key)
