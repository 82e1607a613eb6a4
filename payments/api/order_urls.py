"""Routes of the order resources that show or write money records (see the views' docstrings)."""

from django.urls import path

from payments.api.cancel_order_views import SubmitCancelOrderView
from payments.api.summary_detail import OrderSummaryDetailView

urlpatterns = [
    path(
        "commerce/order-management/order-summaries/<str:summary_id>",
        OrderSummaryDetailView.as_view(),
        name="api-order-summary-detail",
    ),
    path(
        "commerce/order-management/order-summaries/<str:summary_id>/actions/submit-cancel-order",
        SubmitCancelOrderView.as_view(),
        name="api-submit-cancel-order",
    ),
]
