"""Fulfillment over REST: fulfillment orders, routing, locations, inventory levels and return orders."""

from decimal import ROUND_HALF_UP, Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.fulfillment_serializers import (
    CancelItemInputSerializer,
    CancelItemOutputSerializer,
    CreateMultipleInputSerializer,
    CreateMultipleOutputSerializer,
    FindRoutesInputSerializer,
    FindRoutesOutputSerializer,
    FulfillmentOrderCreatedSerializer,
    FulfillmentOrderInputSerializer,
    HoldInputSerializer,
    HoldsOutputSerializer,
    InventoryLevelPageSerializer,
    InventoryLevelSerializer,
    InventoryListParamsSerializer,
    LocationListParamsSerializer,
    LocationPageSerializer,
    LocationSerializer,
    RankInputSerializer,
    RankOutputSerializer,
    RejectItemsInputSerializer,
    RejectItemsOutputSerializer,
    ReleaseHoldInputSerializer,
    ReturnItemsInputSerializer,
    ReturnItemsOutputSerializer,
    ReturnOrderCreatedSerializer,
    ReturnOrderInputSerializer,
    ReturnOrderLineInputSerializer,
    RouteOutputSerializer,
    StatusInputSerializer,
)
from orders.api.idempotency import idempotent
from orders.api.order_serializers import SummaryFulfillmentOrderSerializer, SummaryReturnOrderSerializer
from orders.api.polling import (
    FulfillmentOrderListParams,
    FulfillmentOrderPageSerializer,
    ReturnOrderListParams,
    ReturnOrderPageSerializer,
    poll_params,
    requested_page,
)
from orders.errors import FieldError, InvalidInput
from orders.models import Scope
from orders.routing import (
    RoutingSearchTooLarge,
    find_routes_with_fewest_splits,
    postal_code_coordinates,
    rank_by_average_distance,
)
from orders.selectors.fulfillment import (
    fulfillment_order_detail,
    fulfillment_orders_queryset,
    inventory_levels_page,
    location_coordinates,
    locations_page,
    return_order_detail,
    return_orders_queryset,
)
from orders.selectors.summaries import parse_id
from orders.services.fulfillment_cancel import cancel_fulfillment_order_items
from orders.services.fulfillment_create import create_fulfillment_orders, create_multiple_fulfillment_orders
from orders.services.fulfillment_reject import reject_fulfillment_order_items
from orders.services.fulfillment_status import change_fulfillment_order_status
from orders.services.holds import hold_order_summary, release_holds
from orders.services.inventory import set_inventory_level
from orders.services.locations import create_location
from orders.services.return_orders import (
    ReturnItemInput,
    ReturnOrderInput,
    ReturnOrderLineInput,
    create_return_order,
    return_items,
)
from orders.services.route_summary import route_order_summary

FULFILLMENT = "Fulfillment"
ROUTING = "Routing"
LOCATIONS = "Locations and inventory"
_READ_WRITE = {"GET": Scope.FULFILLMENT_READ, "POST": Scope.FULFILLMENT_WRITE, "PATCH": Scope.FULFILLMENT_WRITE}
_OK = {"success": True, "errors": []}
# Locations and stock steer every channel's orders: any fulfillment reader sees them, only a back-office key
# (fulfillment:admin, bound to no sales channel) changes them.
_SHARED_CONFIGURATION = {"GET": Scope.FULFILLMENT_READ, "POST": Scope.FULFILLMENT_ADMIN}
_BACK_OFFICE = (
    "Needs the scope fulfillment:admin and a back-office key (bound to no sales channel): "
    "locations and stock are shared by every sales channel. "
)


def _fulfillment_order_body(order) -> dict:
    return SummaryFulfillmentOrderSerializer(order, context={"currency": order.currency}).data


# --- Fulfillment orders -----------------------------------------------------------------------------


_POLLING = (
    "Oldest modification first, keyset-paginated on (lastModifiedDate, id): follow nextCursor to the end. "
    "A record modified while you page comes again on a later page. A storefront key sees its own sales "
    "channel only. "
)


class FulfillmentOrderCreateView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="listFulfillmentOrders",
        tags=[FULFILLMENT],
        parameters=[FulfillmentOrderListParams],
        responses={200: FulfillmentOrderPageSerializer, **openapi.error_responses(400, 401, 403)},
        description=_POLLING + "Each fulfillment order as GET …/fulfillment-orders/{id} renders it (lines, "
        "shipments, invoiceId). With fulfilledFromLocationId and status: a location's work queue.",
    )
    def get(self, request):
        data, filters = poll_params(FulfillmentOrderListParams, request)
        queryset = fulfillment_orders_queryset()
        if data.get("fulfilledFromLocationId"):
            location_id = parse_id(data["fulfilledFromLocationId"])
            if location_id is None:
                raise InvalidInput("Not a location id.", field="fulfilledFromLocationId")
            queryset = queryset.filter(location_id=location_id)
        page = requested_page(request, queryset, data, filters, modified_field="updated_at")
        return Response(FulfillmentOrderPageSerializer(page).data)

    @extend_schema(
        operation_id="createFulfillmentOrders",
        tags=[FULFILLMENT],
        request=FulfillmentOrderInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: FulfillmentOrderCreatedSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="One fulfillment order per fulfillment group, all or nothing. Each line takes its share of "
        "the item's amounts not yet placed (DOMAIN.md §3.4); the delivery charge of the group goes whole onto "
        "the first fulfillment order; the location's stock is reserved.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = FulfillmentOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        orders = create_fulfillment_orders(
            serializer.to_input(), actor=request.auth, channel_id=client_channel_id(request)
        )
        return Response(
            {"fulfillmentOrderIds": [str(order.pk) for order in orders], **_OK}, status=status.HTTP_201_CREATED
        )


class CreateMultipleView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="createMultipleFulfillmentOrders",
        tags=[FULFILLMENT],
        request=CreateMultipleInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: CreateMultipleOutputSerializer, **openapi.error_responses(400, 401, 403, 409, 422)},
        description="Each fulfillment group is created or refused on its own; the answer lists every group "
        "with its fulfillmentOrderId or its errors. `success` is true when every group succeeded.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = CreateMultipleInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        results = create_multiple_fulfillment_orders(
            serializer.to_input(), actor=request.auth, channel_id=client_channel_id(request)
        )
        body = {
            "fulfillmentOrders": [
                {
                    "fulfillmentOrderId": str(result.fulfillment_order_id) if result.success else None,
                    "referenceId": result.reference_id,
                    "success": result.success,
                    "errors": list(result.errors),
                }
                for result in results
            ],
            "success": all(result.success for result in results),
            "errors": [],
        }
        return Response(body, status=status.HTTP_200_OK)


class FulfillmentOrderDetailView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="getFulfillmentOrder",
        tags=[FULFILLMENT],
        responses={200: SummaryFulfillmentOrderSerializer, **openapi.error_responses(401, 403, 404)},
    )
    def get(self, request, fulfillment_order_id):
        order = fulfillment_order_detail(fulfillment_order_id, channel_id=client_channel_id(request))
        return Response(_fulfillment_order_body(order))

    @extend_schema(
        operation_id="updateFulfillmentOrderStatus",
        tags=[FULFILLMENT],
        request=StatusInputSerializer,
        responses={200: SummaryFulfillmentOrderSerializer, **openapi.error_responses(400, 401, 403, 404, 409)},
        description="Move the status (DOMAIN.md §5.3): DRAFT → ACTIVATED → FULFILLING → CLOSED forward only, "
        "Cancelled or Rejected from any open status; illegal moves answer 409 INVALID_STATE. Fulfilled adds the "
        "lines to QuantityFulfilled and takes the units off hand; Cancelled and Rejected release every line. "
        "Rejected keeps, on each product line, the units refused and the optional `reason` (quantityRejected, "
        "rejectionReason, like reject-items), excludes the location for the order summary and re-routes the "
        "units. The current status again changes nothing.",
    )
    def patch(self, request, fulfillment_order_id):
        serializer = StatusInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel_id = client_channel_id(request)
        change_fulfillment_order_status(
            fulfillment_order_id,
            serializer.validated_data["status"],
            channel_id=channel_id,
            reason=serializer.validated_data["reason"],
            actor=request.auth,
        )
        order = fulfillment_order_detail(fulfillment_order_id, channel_id=channel_id)
        return Response(_fulfillment_order_body(order))


class CancelItemView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="cancelFulfillmentOrderItems",
        tags=[FULFILLMENT],
        request=CancelItemInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: CancelItemOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Take units off the fulfillment order: the item summaries' QuantityAllocated drops (the units "
        "can be placed again or canceled), each canceled unit gives back its share of the line's amounts, the "
        "reservation is released. With no product units left the fulfillment order is Cancelled.",
    )
    @idempotent(required=False)
    def post(self, request, fulfillment_order_id):
        serializer = CancelItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = cancel_fulfillment_order_items(
            fulfillment_order_id, serializer.to_input(), channel_id=client_channel_id(request), actor=request.auth
        )
        return Response({"fulfillmentOrderId": str(order.pk), "status": order.status, **_OK})


class RejectItemsView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="rejectFulfillmentOrderItems",
        tags=[FULFILLMENT],
        request=RejectItemsInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: RejectItemsOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="The location refuses units, each line with a quantity and a reason: the units come off the "
        "fulfillment order as with cancel-item (amounts back, allocation and reservation released) and go back to "
        "be placed. The location is excluded for this order summary, and routing runs for the released units once "
        "the rejection commits (when automatic routing is on): never back to this location, and a Fulfillment "
        "process exception when no location can take them. With no product units left the fulfillment order is "
        "Rejected.",
    )
    @idempotent(required=False)
    def post(self, request, fulfillment_order_id):
        serializer = RejectItemsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = reject_fulfillment_order_items(
            fulfillment_order_id, serializer.to_input(), actor=request.auth, channel_id=client_channel_id(request)
        )
        return Response(
            {
                "fulfillmentOrderId": str(order.pk),
                "status": order.status,
                "excludedLocationId": str(order.location_id),
                **_OK,
            }
        )


# --- Routing -------------------------------------------------------------------------------------------


class RouteOrderSummaryView(APIView):
    required_scopes = {"POST": Scope.FULFILLMENT_WRITE}

    @extend_schema(
        operation_id="routeOrderSummary",
        tags=[ROUTING],
        request=None,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: RouteOutputSerializer, **openapi.error_responses(401, 403, 404, 409, 422)},
        description="Route again: place whatever product units of the managed order summary are unallocated, as "
        "automatic routing does (fewest splits, then nearest; the channel's routing policy; never a location that "
        "rejected units of this summary; a Pickup group only at its store). Groups no location can take are listed "
        "in unroutedDeliveryGroupSummaryIds and get a Fulfillment process exception. A run that finds units to "
        "place counts one routing attempt. A summary on hold answers 409.",
    )
    @idempotent(required=False)
    def post(self, request, summary_id):
        outcome = route_order_summary(summary_id, channel_id=client_channel_id(request), on_demand=True)
        return Response(
            {
                "fulfillmentOrderIds": [str(pk) for pk in outcome.fulfillment_order_ids],
                "unroutedDeliveryGroupSummaryIds": [str(pk) for pk in outcome.unrouted_group_ids],
                "routingAttemptCount": outcome.routing_attempt_count,
                **_OK,
            }
        )


class HoldView(APIView):
    required_scopes = {"POST": Scope.ORDERS_WRITE}

    @extend_schema(
        operation_id="holdOrderSummary",
        tags=[FULFILLMENT],
        request=HoldInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: HoldsOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Put the order summary on hold, or only some of its open fulfillment order lines, with a reason "
        "(who and when are recorded). A held summary is not routed, none of its fulfillment orders may move past "
        "Allocated and nothing is captured for it until release; a held line's fulfillment order may not move "
        "forward. Canceling and rejecting stay possible. Holding what is held already answers 409.",
    )
    @idempotent(required=False)
    def post(self, request, summary_id):
        serializer = HoldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        holds = hold_order_summary(
            summary_id,
            data["reason"],
            line_ids=data["fulfillmentOrderLineItemIds"],
            actor=request.auth,
            channel_id=client_channel_id(request),
        )
        return Response(HoldsOutputSerializer({"holds": holds, **_OK}).data, status=status.HTTP_201_CREATED)


class ReleaseHoldView(APIView):
    required_scopes = {"POST": Scope.ORDERS_WRITE}

    @extend_schema(
        operation_id="releaseOrderSummaryHold",
        tags=[FULFILLMENT],
        request=ReleaseHoldInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: HoldsOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Release the summary's active holds (every one, or those of the given lines) and resume what "
        "they stopped: releasing the summary's hold routes what is unplaced (when automatic routing is on) and asks "
        "again for the invoice and capture of every fulfillment order that shipped. No active hold answers 409.",
    )
    @idempotent(required=False)
    def post(self, request, summary_id):
        serializer = ReleaseHoldInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        holds = release_holds(
            summary_id,
            line_ids=data["fulfillmentOrderLineItemIds"],
            note=data["note"],
            actor=request.auth,
            channel_id=client_channel_id(request),
        )
        return Response(HoldsOutputSerializer({"holds": holds, **_OK}).data)


class FindRoutesView(APIView):
    required_scopes = {"POST": Scope.FULFILLMENT_READ}

    @extend_schema(
        operation_id="findRoutesWithFewestSplits",
        tags=[ROUTING],
        request=FindRoutesInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: FindRoutesOutputSerializer, **openapi.error_responses(400, 401, 403, 422)},
        description="Every set of at most maximumNumberOfSplits + 1 locations that can ship the ordered "
        "quantities together, of the smallest size that can (DOMAIN.md §4.1): locations in a set sorted by "
        "name, sets in lexicographic order, at most 10,000. Locations are named by external reference.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = FindRoutesInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ordered: dict[str, Decimal] = {}
        for entry in data["orderedQuantities"]:
            ordered[entry["stockKeepingUnit"]] = ordered.get(entry["stockKeepingUnit"], Decimal(0)) + entry["quantity"]
        available: dict[str, dict[str, Decimal]] = {}
        for entry in data["locationAvailableInventory"]:
            stock = available.setdefault(entry["externalReferenceId"], {})
            stock[entry["stockKeepingUnit"]] = stock.get(entry["stockKeepingUnit"], Decimal(0)) + entry["quantity"]
        try:
            routes = find_routes_with_fewest_splits(ordered, available, data["maximumNumberOfSplits"])
        except RoutingSearchTooLarge as error:
            raise InvalidInput(str(error), field="maximumNumberOfSplits") from None
        return Response({"targetLocations": [{"locations": list(route)} for route in routes], **_OK})


class RankByAverageDistanceView(APIView):
    required_scopes = {"POST": Scope.FULFILLMENT_READ}

    @extend_schema(
        operation_id="rankByAverageDistance",
        tags=[ROUTING],
        request=RankInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: RankOutputSerializer, **openapi.error_responses(400, 401, 403, 422)},
        description="Each set of locations with the average great-circle distance of its locations to the "
        "destination (DOMAIN.md §4.2), nearest first (ASC) or farthest first (DESC); ties keep the order given. "
        "US postal codes are geocoded from an offline data set; elsewhere send deliveryLatitude and "
        "deliveryLongitude. Locations are named by external reference and need coordinates.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = RankInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        destination = _destination(data)
        sets = [entry["locations"] for entry in data["targetLocations"]]
        coordinates = location_coordinates({name for names in sets for name in names})
        errors = [
            FieldError(
                f"No location {name!r}." if name not in coordinates else f"Location {name!r} has no coordinates.",
                f"targetLocations[{set_index}].locations[{position}]",
            )
            for set_index, names in enumerate(sets)
            for position, name in enumerate(names)
            if coordinates.get(name) is None
        ]
        if errors:
            raise InvalidInput(errors[0].message, errors=errors)
        ranked = rank_by_average_distance(
            destination, sets, coordinates, unit=data["distanceUnit"], descending=data["sortResult"] == "DESC"
        )
        results = [
            {
                "locations": list(result.locations),
                "averageDistance": float(Decimal(result.average_distance).quantize(Decimal("0.01"), ROUND_HALF_UP)),
            }
            for result in ranked
        ]
        return Response({"distanceUnit": data["distanceUnit"], "results": results, **_OK})


def _destination(data) -> tuple[float, float]:
    latitude, longitude = data.get("deliveryLatitude"), data.get("deliveryLongitude")
    if latitude is not None and longitude is not None:
        return float(latitude), float(longitude)
    country = (data["deliveryCountryCode"] or "US").upper()
    if country != "US":
        raise InvalidInput(
            "Postal codes are geocoded for US only; send deliveryLatitude and deliveryLongitude.",
            field="deliveryCountryCode",
        )
    if not data["deliveryPostalCode"]:
        raise InvalidInput(
            "Give deliveryPostalCode, or deliveryLatitude and deliveryLongitude.", field="deliveryPostalCode"
        )
    found = postal_code_coordinates(country, data["deliveryPostalCode"])
    if found is None:
        raise InvalidInput(f"Unknown US postal code {data['deliveryPostalCode']!r}.", field="deliveryPostalCode")
    return found


# --- Locations and inventory levels ------------------------------------------------------------------


class LocationCollectionView(APIView):
    required_scopes = _SHARED_CONFIGURATION
    back_office_methods = ("POST",)

    @extend_schema(
        operation_id="listLocations",
        tags=[LOCATIONS],
        parameters=[LocationListParamsSerializer],
        responses={200: LocationPageSerializer, **openapi.error_responses(400, 401, 403)},
    )
    def get(self, request):
        params = LocationListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = locations_page(
            location_type=params.validated_data.get("locationType"),
            cursor=params.validated_data.get("cursor"),
            limit=params.validated_data.get("limit"),
        )
        return Response(LocationPageSerializer(page).data)

    @extend_schema(
        operation_id="createLocation",
        tags=[LOCATIONS],
        request=LocationSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: LocationSerializer, **openapi.error_responses(400, 401, 403, 409, 422)},
        description=_BACK_OFFICE
        + "A location's external reference is unique; a second one answers 409 with the first's id.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = LocationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        location = create_location(serializer.to_input())
        return Response(LocationSerializer(location).data, status=status.HTTP_201_CREATED)


class InventoryLevelCollectionView(APIView):
    required_scopes = _SHARED_CONFIGURATION
    back_office_methods = ("POST",)

    @extend_schema(
        operation_id="listInventoryLevels",
        tags=[LOCATIONS],
        parameters=[InventoryListParamsSerializer],
        responses={200: InventoryLevelPageSerializer, **openapi.error_responses(400, 401, 403)},
    )
    def get(self, request):
        params = InventoryListParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = inventory_levels_page(
            location_reference=data.get("locationExternalReference"),
            sku=data.get("stockKeepingUnit"),
            cursor=data.get("cursor"),
            limit=data.get("limit"),
        )
        return Response(InventoryLevelPageSerializer(page).data)

    @extend_schema(
        operation_id="setInventoryLevel",
        tags=[LOCATIONS],
        request=InventoryLevelSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: InventoryLevelSerializer, **openapi.error_responses(400, 401, 403, 409, 422)},
        description=_BACK_OFFICE
        + "Set quantityOnHand for a location and sku, creating the level when there is none. It may "
        "not drop below the units reserved by open fulfillment orders (409).",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = InventoryLevelSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        level = set_inventory_level(serializer.to_input())
        return Response(InventoryLevelSerializer(level).data, status=status.HTTP_200_OK)


# --- Return orders (RMA) ---------------------------------------------------------------------------------

RETURNS = "Return orders"


class ReturnOrderCreateView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="listReturnOrders",
        tags=[RETURNS],
        parameters=[ReturnOrderListParams],
        responses={200: ReturnOrderPageSerializer, **openapi.error_responses(400, 401, 403)},
        description=_POLLING + "Each return order as GET …/return-orders/{id} renders it, with its lines.",
    )
    def get(self, request):
        data, filters = poll_params(ReturnOrderListParams, request)
        page = requested_page(request, return_orders_queryset(), data, filters, modified_field="updated_at")
        return Response(ReturnOrderPageSerializer(page).data)

    @extend_schema(
        operation_id="createReturnOrder",
        tags=[RETURNS],
        request=ReturnOrderInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: ReturnOrderCreatedSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Expect units back (managed order summaries only): each line's quantityExpected raises the "
        "item's QuantityReturnInitiated and may not exceed QuantityAvailableToReturn. A Managed return order "
        "starts Submitted or Approved; an Unmanaged one only tracks and touches no quantity or money.",
    )
    @idempotent(required=False)
    def post(self, request):
        serializer = ReturnOrderInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        return_order = create_return_order(
            ReturnOrderInput(
                order_summary_id=data["orderSummaryId"],
                lines=tuple(
                    ReturnOrderLineInput(
                        line["orderItemSummaryId"],
                        line["quantityExpected"],
                        line["reasonForReturn"],
                        line["canReduceShipping"],
                        ReturnOrderLineInputSerializer.fees_of(line),
                    )
                    for line in data["returnOrderLineItems"]
                ),
                status=data["status"],
                life_cycle_type=data["returnOrderLifeCycleType"],
                destination_location_id=data["destinationLocationId"],
                expected_arrival_date=data["expectedArrivalDate"],
                description=data["description"],
            ),
            actor=request.auth,
            channel_id=client_channel_id(request),
        )
        return Response({"returnOrderId": str(return_order.pk), **_OK}, status=status.HTTP_201_CREATED)


class ReturnOrderDetailView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="getReturnOrder",
        tags=[RETURNS],
        responses={200: SummaryReturnOrderSerializer, **openapi.error_responses(401, 403, 404)},
    )
    def get(self, request, return_order_id):
        found = return_order_detail(return_order_id, channel_id=client_channel_id(request))
        return Response(SummaryReturnOrderSerializer(found).data)


class ReturnItemsView(APIView):
    required_scopes = _READ_WRITE

    @extend_schema(
        operation_id="returnItems",
        tags=[RETURNS],
        request=ReturnItemsInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={200: ReturnItemsOutputSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Process return order lines: quantityReturned adds to QuantityReturned through a Return change "
        "order with the simple return's money rules (proration; shipping reduction when the line's "
        "canReduceShipping); quantityToCancel and quantityRejected are no longer expected. returned + rejected + "
        "canceled may not exceed the line's quantityExpected. Received units that were not rejected go back "
        "on hand at the destination location. A processed line is read-only; what it still expected moves to a "
        "new line (returnLineItemSplits). changeOrderId is null when nothing was returned.",
    )
    @idempotent(required=False)
    def post(self, request, return_order_id):
        serializer = ReturnItemsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = return_items(
            return_order_id,
            [
                ReturnItemInput(
                    return_order_line_item_id=item["returnOrderLineItemId"],
                    quantity_returned=item["quantityReturned"],
                    quantity_to_cancel=item["quantityToCancel"],
                    quantity_received=item["quantityReceived"],
                    quantity_rejected=item["quantityRejected"],
                    reason_for_rejection=item["reasonForRejection"],
                )
                for item in serializer.validated_data["returnOrderItems"]
            ],
            actor=request.auth,
            channel_id=client_channel_id(request),
        )
        return Response(
            {
                "changeOrderId": str(result.change_order_id) if result.change_order_id else None,
                "feeChangeOrderId": str(result.fee_change_order_id) if result.fee_change_order_id else None,
                "returnLineItemSplits": [
                    {"processedReturnOrderLineItemId": str(processed), "remainingReturnOrderLineItemId": str(rest)}
                    for processed, rest in result.splits
                ],
                **_OK,
            }
        )
