"""Admin registrations, one module per area; importing them registers the models."""

from . import core, fulfillment  # noqa: F401
