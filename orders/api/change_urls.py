"""Routes of the change resources: /commerce/order-management/order-summaries/{id}/actions/…"""

from django.urls import path

from orders.api import change_views as views
from orders.api import exchange_views, reship_views

_BASE = "commerce/order-management/order-summaries/<str:summary_id>/actions/"

urlpatterns = [
    path(f"{_BASE}preview-cancel", views.PreviewCancelView.as_view(), name="api-preview-cancel"),
    path(f"{_BASE}submit-cancel", views.SubmitCancelView.as_view(), name="api-submit-cancel"),
    path(f"{_BASE}preview-cancel-order", views.PreviewCancelOrderView.as_view(), name="api-preview-cancel-order"),
    path(f"{_BASE}preview-return", views.PreviewReturnView.as_view(), name="api-preview-return"),
    path(f"{_BASE}submit-return", views.SubmitReturnView.as_view(), name="api-submit-return"),
    path(f"{_BASE}adjust-item-preview", views.AdjustPreviewView.as_view(), name="api-adjust-item-preview"),
    path(f"{_BASE}adjust-item-submit", views.AdjustSubmitView.as_view(), name="api-adjust-item-submit"),
    path(f"{_BASE}preview-reship", reship_views.PreviewReshipView.as_view(), name="api-preview-reship"),
    path(f"{_BASE}submit-reship", reship_views.SubmitReshipView.as_view(), name="api-submit-reship"),
    path(f"{_BASE}preview-exchange", exchange_views.PreviewExchangeView.as_view(), name="api-preview-exchange"),
    path(f"{_BASE}submit-exchange", exchange_views.SubmitExchangeView.as_view(), name="api-submit-exchange"),
]
