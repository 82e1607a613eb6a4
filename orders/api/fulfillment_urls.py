"""Routes of the fulfillment resources: fulfillment orders, routing, locations, inventory, return orders."""

from django.urls import path

from orders.api import fulfillment_views as views
from orders.api import shipment_views

_FO = "commerce/fulfillment/fulfillment-orders"
_ROUTING = "commerce/order-management/routing/actions"
_RO = "commerce/returns/return-orders"
_OS = "commerce/order-management/order-summaries/<str:summary_id>/actions"

urlpatterns = [
    path(_FO, views.FulfillmentOrderCreateView.as_view(), name="api-fulfillment-orders"),
    path(
        "commerce/fulfillment/actions/create-multiple",
        views.CreateMultipleView.as_view(),
        name="api-fulfillment-create-multiple",
    ),
    path(f"{_FO}/<str:fulfillment_order_id>", views.FulfillmentOrderDetailView.as_view(), name="api-fulfillment-order"),
    path(
        f"{_FO}/<str:fulfillment_order_id>/actions/cancel-item",
        views.CancelItemView.as_view(),
        name="api-fulfillment-order-cancel-item",
    ),
    path(
        f"{_FO}/<str:fulfillment_order_id>/actions/reject-items",
        views.RejectItemsView.as_view(),
        name="api-fulfillment-order-reject-items",
    ),
    path(
        f"{_FO}/<str:fulfillment_order_id>/shipments",
        shipment_views.ShipmentCollectionView.as_view(),
        name="api-fulfillment-order-shipments",
    ),
    path(
        f"{_FO}/<str:fulfillment_order_id>/shipments/<str:shipment_id>",
        shipment_views.ShipmentDetailView.as_view(),
        name="api-fulfillment-order-shipment",
    ),
    path(f"{_OS}/route", views.RouteOrderSummaryView.as_view(), name="api-order-summary-route"),
    path(f"{_OS}/hold", views.HoldView.as_view(), name="api-order-summary-hold"),
    path(f"{_OS}/release-hold", views.ReleaseHoldView.as_view(), name="api-order-summary-release-hold"),
    path(f"{_ROUTING}/find-routes-with-fewest-splits", views.FindRoutesView.as_view(), name="api-routing-find-routes"),
    path(f"{_ROUTING}/rank-byaverage-distance", views.RankByAverageDistanceView.as_view(), name="api-routing-rank"),
    path("commerce/locations", views.LocationCollectionView.as_view(), name="api-locations"),
    path("commerce/inventory-levels", views.InventoryLevelCollectionView.as_view(), name="api-inventory-levels"),
    path(_RO, views.ReturnOrderCreateView.as_view(), name="api-return-orders"),
    path(f"{_RO}/<str:return_order_id>", views.ReturnOrderDetailView.as_view(), name="api-return-order"),
    path(
        f"{_RO}/<str:return_order_id>/actions/return-items",
        views.ReturnItemsView.as_view(),
        name="api-return-order-return-items",
    ),
]
