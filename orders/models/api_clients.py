"""API clients authenticate with a bearer key stored only as its SHA-256 digest."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    ORDERS_READ = "orders:read"
    ORDERS_WRITE = "orders:write"
    FULFILLMENT_READ = "fulfillment:read"
    FULFILLMENT_WRITE = "fulfillment:write"
    # Shared configuration every channel routes by (locations, inventory levels): back-office keys only.
    FULFILLMENT_ADMIN = "fulfillment:admin"
    PAYMENTS_READ = "payments:read"
    PAYMENTS_WRITE = "payments:write"
    # Webhook endpoints: where the events of the key's channel (every channel for a back-office key) are sent.
    WEBHOOKS_MANAGE = "webhooks:manage"
    ALL = "all"


# Scopes a key bound to a sales channel may not hold: what they open is shared by every channel.
BACK_OFFICE_SCOPES = frozenset({Scope.FULFILLMENT_ADMIN})

KEY_PREFIX = "oms_"


def channel_scope_conflict(scopes, sales_channel) -> str | None:
    """Why these scopes cannot go with this sales channel, or None when they can."""
    if sales_channel is None:
        return None
    refused = sorted(BACK_OFFICE_SCOPES & set(scopes))
    if not refused:
        return None
    return (
        f"{', '.join(refused)} opens configuration shared by every sales channel (locations, inventory): "
        "give it to a back-office key, bound to no sales channel."
    )


def hash_key(raw_key: str) -> str:
    # Keys are 256-bit random, so a fast digest is safe here; a slow KDF would only slow every request.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiClient(models.Model):
    name = models.CharField(max_length=80, unique=True)
    key_prefix = models.CharField(max_length=16, help_text="The first characters of the key, to tell keys apart.")
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    scopes = models.JSONField(default=list)
    sales_channel = models.ForeignKey(
        "orders.SalesChannel",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_clients",
        help_text="A storefront key sees and acts on this channel only; empty for back-office clients.",
    )
    is_active = models.BooleanField(default=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @classmethod
    def issue(cls, name: str, scopes: list[str], sales_channel=None) -> tuple["ApiClient", str]:
        """Create a client and return it with its raw key, which is never stored or shown again."""
        conflict = channel_scope_conflict(scopes, sales_channel)
        if conflict:
            raise ValueError(conflict)
        raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
        client = cls.objects.create(
            name=name,
            key_prefix=raw_key[:12],
            key_hash=hash_key(raw_key),
            scopes=sorted(set(scopes)),
            sales_channel=sales_channel,
        )
        return client, raw_key

    def has_scope(self, scope: str) -> bool:
        return Scope.ALL in self.scopes or scope in self.scopes

    def revoke(self) -> None:
        self.is_active = False
        self.revoked_at = timezone.now()
        self.save(update_fields=["is_active", "revoked_at"])

    # DRF asks request.user this; an API client is always an authenticated principal.
    is_authenticated = True


class IdempotencyRecord(models.Model):
    """The first answer to a POST with an Idempotency-Key, replayed to retries of the same body."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="idempotency_records")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    # Empty while the first request still runs.
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The rendered JSON of the first answer, replayed byte for byte.
    response_body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="idempotency_key_unique_per_client")]
        indexes = [models.Index(fields=["created_at"], name="idem_created")]

    def __str__(self):
        return f"{self.client} {self.key}"

    @property
    def in_flight(self) -> bool:
        return self.response_status is None
