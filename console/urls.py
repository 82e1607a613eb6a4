from django.contrib.auth import views as auth_views
from django.urls import path

from console.views import (
    approvals,
    exceptions,
    exchange,
    fulfillment,
    orders,
    recovery,
    reship,
    return_orders,
    search,
    wizards,
)

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", search.order_search, name="search"),
    path("orders/<int:pk>/", orders.order_detail, name="order"),
    path("orders/<int:pk>/operations/", orders.order_operations, name="order_operations"),
    path(
        "orders/<int:pk>/groups/<int:group_pk>/fulfillment-orders/new/",
        fulfillment.create_fulfillment_order,
        name="fulfillment_create",
    ),
    path("orders/<int:pk>/refund-remaining/", approvals.refund_remaining_view, name="refund_remaining"),
    path("orders/<int:pk>/hold/", recovery.hold_order, name="order_hold"),
    path("orders/<int:pk>/release-hold/", recovery.release_order_hold, name="order_release_hold"),
    path("orders/<int:pk>/route/", recovery.route_again, name="order_route"),
    path("orders/<int:pk>/exchange/", exchange.exchange_wizard, name="exchange"),
    # Issue 15: before the change wizards' catch-all.
    path("orders/<int:pk>/reship/", reship.reship, name="reship"),
    path("orders/<int:pk>/return-orders/new/", return_orders.new_return_order, name="return_order_new"),
    path("return-orders/<int:pk>/receive/", return_orders.receive, name="return_order_receive"),
    path("orders/<int:pk>/<slug:kind>/", wizards.wizard, name="wizard"),
    path("fulfillment-orders/<int:pk>/status/", fulfillment.move_fulfillment_order, name="fulfillment_move"),
    path(
        "fulfillment-orders/<int:pk>/cancel-lines/",
        fulfillment.cancel_fulfillment_lines,
        name="fulfillment_cancel_lines",
    ),
    path("approvals/", approvals.approval_queue, name="approvals"),
    path("refund-approvals/<int:pk>/", approvals.refund_decision, name="refund_decision"),
    path("refund-approvals/<int:pk>/decline/", approvals.decline_refund, name="refund_decline"),
    path("holds/", recovery.hold_queue, name="holds"),
    path("locations/", recovery.my_locations, name="locations"),
    path("locations/<int:location_pk>/queue/", recovery.location_queue_page, name="location_queue"),
    path("locations/<int:location_pk>/fulfillment-orders/<int:pk>/move/", recovery.queue_move, name="queue_move"),
    path("locations/<int:location_pk>/fulfillment-orders/<int:pk>/reject/", recovery.queue_reject, name="queue_reject"),
    path("locations/<int:location_pk>/fulfillment-orders/<int:pk>/ship/", recovery.queue_ship, name="queue_ship"),
    path("exceptions/", exceptions.exception_queue, name="exceptions"),
    path("exceptions/<int:pk>/status/", exceptions.exception_status, name="exception_status"),
    path("exceptions/<int:pk>/retry/", exceptions.exception_retry, name="exception_retry"),
]
