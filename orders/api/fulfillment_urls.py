"""Routes of the fulfillment resources: fulfillment orders, routing, locations, inventory, return orders."""

from django.urls import path

from orders.api import fulfillment_views as views

_FO = "commerce/fulfillment/fulfillment-orders"
_ROUTING = "commerce/order-management/routing/actions"

urlpatterns = [
    path(_FO, views.FulfillmentOrderCreateView.as_view(), name="api-fulfillment-orders"),
    path("commerce/fulfillment/actions/create-multiple", views.CreateMultipleView.as_view(),
         name="api-fulfillment-create-multiple"),
    path(f"{_FO}/<str:fulfillment_order_id>", views.FulfillmentOrderDetailView.as_view(),
         name="api-fulfillment-order"),
    path(f"{_FO}/<str:fulfillment_order_id>/actions/cancel-item", views.CancelItemView.as_view(),
         name="api-fulfillment-order-cancel-item"),
    path(f"{_ROUTING}/find-routes-with-fewest-splits", views.FindRoutesView.as_view(), name="api-routing-find-routes"),
    path(f"{_ROUTING}/rank-byaverage-distance", views.RankByAverageDistanceView.as_view(), name="api-routing-rank"),
    path("commerce/locations", views.LocationCollectionView.as_view(), name="api-locations"),
    path("commerce/inventory-levels", views.InventoryLevelCollectionView.as_view(), name="api-inventory-levels"),
]
