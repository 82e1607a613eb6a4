"""API routes of the orders app; each capability keeps its routes in its own module."""

from django.urls import include, path

urlpatterns = [
    path("", include("orders.api.order_urls")),
    path("", include("orders.api.change_urls")),
    path("", include("orders.api.fulfillment_urls")),
    path("", include("orders.api.webhook_urls")),
]
