"""Shipments of a fulfillment order over REST: record a parcel, read them, set the delivery date."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import openapi
from orders.api.auth import client_channel_id
from orders.api.idempotency import idempotent
from orders.api.order_serializers import ShipmentSerializer
from orders.api.shipment_serializers import ShipmentInputSerializer, ShipmentUpdateSerializer
from orders.models import Scope
from orders.selectors.fulfillment import shipment_detail, shipments_of_fulfillment_order
from orders.services.shipments import create_shipment, update_shipment

TAG = "Fulfillment"
_SCOPES = {"GET": Scope.FULFILLMENT_READ, "POST": Scope.FULFILLMENT_WRITE, "PATCH": Scope.FULFILLMENT_WRITE}


class ShipmentCollectionView(APIView):
    required_scopes = _SCOPES

    @extend_schema(
        operation_id="listFulfillmentOrderShipments",
        tags=[TAG],
        responses={200: ShipmentSerializer(many=True), **openapi.error_responses(401, 403, 404)},
        description="The fulfillment order's shipments, in the order they shipped.",
    )
    def get(self, request, fulfillment_order_id):
        shipments = shipments_of_fulfillment_order(fulfillment_order_id, channel_id=client_channel_id(request))
        return Response(ShipmentSerializer(shipments, many=True).data)

    @extend_schema(
        operation_id="createShipment",
        tags=[TAG],
        request=ShipmentInputSerializer,
        parameters=[openapi.idempotency_key_header(required=False)],
        responses={201: ShipmentSerializer, **openapi.error_responses(400, 401, 403, 404, 409, 422)},
        description="Record a parcel that left: carrier, service, tracking number and address, the units of each "
        "line it carries (no lines: every product unit left to ship). A line never ships more than it has left "
        "(409 EXCEEDS_QUANTITY_TO_SHIP). The shipment that ships the last unit moves the fulfillment order to "
        "Fulfilled, as PATCH status would: units fulfilled and taken off hand, then invoice and capture. A "
        "Fulfilled, Cancelled or Rejected fulfillment order answers 409 FULFILLMENT_ORDER_NOT_OPEN, one on hold "
        "409 FULFILLMENT_ORDER_HELD, an In Store Pickup 409 PICKUP_NOT_SHIPPED.",
    )
    @idempotent(required=False)
    def post(self, request, fulfillment_order_id):
        serializer = ShipmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel_id = client_channel_id(request)
        shipment = create_shipment(
            fulfillment_order_id, serializer.to_input(), actor=request.auth, channel_id=channel_id
        )
        shipment = shipment_detail(fulfillment_order_id, shipment.pk, channel_id=channel_id)
        return Response(ShipmentSerializer(shipment).data, status=status.HTTP_201_CREATED)


class ShipmentDetailView(APIView):
    required_scopes = _SCOPES

    @extend_schema(
        operation_id="getShipment",
        tags=[TAG],
        responses={200: ShipmentSerializer, **openapi.error_responses(401, 403, 404)},
    )
    def get(self, request, fulfillment_order_id, shipment_id):
        shipment = shipment_detail(fulfillment_order_id, shipment_id, channel_id=client_channel_id(request))
        return Response(ShipmentSerializer(shipment).data)

    @extend_schema(
        operation_id="updateShipment",
        tags=[TAG],
        request=ShipmentUpdateSerializer,
        responses={200: ShipmentSerializer, **openapi.error_responses(400, 401, 403, 404)},
        description="Set the delivery date once the carrier delivered (null clears it; never before shippedDate "
        "nor in the future), or correct the carrier, service or tracking. Only the keys sent change; what the "
        "shipment carries never changes.",
    )
    def patch(self, request, fulfillment_order_id, shipment_id):
        serializer = ShipmentUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        channel_id = client_channel_id(request)
        update_shipment(fulfillment_order_id, shipment_id, serializer.to_input(), channel_id=channel_id)
        shipment = shipment_detail(fulfillment_order_id, shipment_id, channel_id=channel_id)
        return Response(ShipmentSerializer(shipment).data)
