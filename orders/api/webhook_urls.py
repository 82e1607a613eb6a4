"""Routes of webhook endpoints, their deliveries, and the change feed."""

from django.urls import path

from orders.api import webhook_views as views

_WH = "webhook-endpoints"

urlpatterns = [
    path(_WH, views.WebhookEndpointCollectionView.as_view(), name="api-webhook-endpoints"),
    path(f"{_WH}/<str:endpoint_id>", views.WebhookEndpointDetailView.as_view(), name="api-webhook-endpoint"),
    path(f"{_WH}/<str:endpoint_id>/deliveries", views.WebhookDeliveryListView.as_view(), name="api-webhook-deliveries"),
    path(
        f"{_WH}/<str:endpoint_id>/deliveries/<str:delivery_id>/actions/redeliver",
        views.WebhookRedeliverView.as_view(),
        name="api-webhook-redeliver",
    ),
    path("commerce/events", views.EventFeedView.as_view(), name="api-events"),
]
