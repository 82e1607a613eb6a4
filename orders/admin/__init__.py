"""Admin registrations, one module per area; importing them registers the models."""

from . import core, exchanges, fulfillment, recovery, webhooks  # noqa: F401
