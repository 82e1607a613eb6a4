from django.urls import path

from orders.api.ingest_batch_views import OrderBatchIngestView
from orders.api.ingest_views import OrderIngestView
from orders.api.order_views import OrderSummaryCollectionView

urlpatterns = [
    path("commerce/orders", OrderIngestView.as_view(), name="api-order-ingest"),
    path("commerce/orders/batch", OrderBatchIngestView.as_view(), name="api-order-batch-ingest"),
    path(
        "commerce/order-management/order-summaries",
        OrderSummaryCollectionView.as_view(),
        name="api-order-summaries",
    ),
]
