from django.urls import path

from orders.api.order_views import OrderSummaryCollectionView

urlpatterns = [
    path(
        "commerce/order-management/order-summaries",
        OrderSummaryCollectionView.as_view(),
        name="api-order-summaries",
    ),
]
