"""Issue 14, point 5: locations and inventory levels are configuration every sales channel routes by.

Writing them takes the back-office scope fulfillment:admin on a key bound to no sales channel; a
storefront key (bound to a channel) reads availability and is refused every write, whatever its
scopes, so it cannot plant a location or stock that steers other channels' orders.
"""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from orders.models import ApiClient, InventoryLevel, Location
from tests.api.schema import assert_response_matches_schema
from tests.factories import SalesChannelFactory
from tests.fulfillment.helpers import make_location, stock

pytestmark = pytest.mark.django_db

LOCATIONS = "/api/v1/commerce/locations"
LEVELS = "/api/v1/commerce/inventory-levels"
NEW_LOCATION = {"name": "Planted", "externalReference": "PLANTED", "locationType": "Warehouse"}


@pytest.fixture
def warehouse():
    location = make_location("WH-1")
    stock("WH-1", A=5)
    return location


def written():
    """What a refused write must leave as it was."""
    return (
        sorted(Location.objects.values_list("external_reference", flat=True)),
        sorted(InventoryLevel.objects.values_list("location__external_reference", "sku", "quantity_on_hand")),
    )


def refused(response, method, path, *, mentions):
    assert response.status_code == 403, response.content
    body = assert_response_matches_schema(response, method, path)
    assert [error["errorCode"] for error in body["errors"]] == ["PERMISSION_DENIED"]
    assert mentions in body["message"]
    return body


@pytest.mark.parametrize("scopes", [["all"], ["fulfillment:read", "fulfillment:write"]], ids=["all", "fulfillment"])
def test_a_storefront_key_cannot_create_locations_or_set_stock(make_api, warehouse, scopes):
    storefront = make_api(scopes=scopes, channel=SalesChannelFactory(name="Web US"))
    before = written()
    mentions = "sales channel" if scopes == ["all"] else "fulfillment:admin"
    refused(storefront.post_json(LOCATIONS, NEW_LOCATION), "post", LOCATIONS, mentions=mentions)
    refused(
        storefront.post_json(
            LEVELS, {"locationExternalReference": "WH-1", "stockKeepingUnit": "A", "quantityOnHand": 500}
        ),
        "post",
        LEVELS,
        mentions=mentions,
    )
    refused(
        storefront.post_json(
            LEVELS, {"locationExternalReference": "WH-1", "stockKeepingUnit": "NEW", "quantityOnHand": 1}, key="plant-1"
        ),
        "post",
        LEVELS,
        mentions=mentions,
    )
    assert written() == before == (["WH-1"], [("WH-1", "A", D(5))])


def test_a_storefront_key_still_reads_availability(make_api, warehouse):
    storefront = make_api(scopes=["fulfillment:read"], channel=SalesChannelFactory(name="Web US"))
    locations = storefront.get(LOCATIONS)
    assert locations.status_code == 200
    assert [row["externalReference"] for row in locations.json()["rows"]] == ["WH-1"]
    levels = storefront.get(LEVELS, {"stockKeepingUnit": "A"})
    assert levels.status_code == 200
    (row,) = levels.json()["rows"]
    assert (row["locationExternalReference"], D(str(row["quantityOnHand"]))) == ("WH-1", D(5))


def test_the_write_scope_of_fulfillment_orders_does_not_open_shared_configuration(make_api, warehouse):
    back_office = make_api(scopes=["fulfillment:read", "fulfillment:write"])
    before = written()
    refused(back_office.post_json(LOCATIONS, NEW_LOCATION), "post", LOCATIONS, mentions="'fulfillment:admin'")
    refused(
        back_office.post_json(
            LEVELS, {"locationExternalReference": "WH-1", "stockKeepingUnit": "A", "quantityOnHand": 0}
        ),
        "post",
        LEVELS,
        mentions="'fulfillment:admin'",
    )
    assert written() == before


def test_a_back_office_key_with_fulfillment_admin_writes_them(make_api, warehouse):
    admin_key = make_api(scopes=["fulfillment:admin"])
    created = admin_key.post_json(LOCATIONS, NEW_LOCATION)
    assert created.status_code == 201, created.content
    assert created.json()["externalReference"] == "PLANTED"
    level = admin_key.post_json(
        LEVELS, {"locationExternalReference": "PLANTED", "stockKeepingUnit": "A", "quantityOnHand": 7}
    )
    assert level.status_code == 200, level.content
    assert written() == (["PLANTED", "WH-1"], [("PLANTED", "A", D(7)), ("WH-1", "A", D(5))])
    # fulfillment:admin writes configuration; reading it is fulfillment:read's.
    assert admin_key.get(LOCATIONS).status_code == 403


def test_the_back_office_scope_cannot_be_issued_to_a_storefront_key():
    channel = SalesChannelFactory(name="Web US")
    with pytest.raises(ValueError, match="back-office key"):
        ApiClient.issue(name="bad", scopes=["fulfillment:admin"], sales_channel=channel)
    assert not ApiClient.objects.exists()


def test_the_command_issues_fulfillment_admin_to_back_office_keys_only():
    SalesChannelFactory(name="Web US")
    with pytest.raises(CommandError, match="fulfillment:admin"):
        call_command(
            "create_api_client", "shop", "--scopes", "fulfillment:admin", "--channel", "Web US", stdout=StringIO()
        )
    assert not ApiClient.objects.exists()
    out = StringIO()
    call_command("create_api_client", "wms", "--scopes", "fulfillment:read,fulfillment:admin", stdout=out)
    client = ApiClient.objects.get(name="wms")
    assert (client.scopes, client.sales_channel) == (["fulfillment:admin", "fulfillment:read"], None)
    assert "fulfillment:admin" in call_command_help()


def call_command_help() -> str:
    from orders.management.commands.create_api_client import Command

    return Command().create_parser("manage.py", "create_api_client").format_help()


def test_the_admin_offers_the_scope_and_refuses_it_with_a_channel(admin_client):
    add = reverse("admin:orders_apiclient_add")
    page = admin_client.get(add).content.decode()
    assert 'value="fulfillment:admin"' in page
    channel = SalesChannelFactory(name="Web US")
    response = admin_client.post(add, {"name": "shop", "scopes": ["fulfillment:admin"], "sales_channel": channel.pk})
    assert response.status_code == 200
    assert "back-office key" in response.content.decode()
    assert not ApiClient.objects.exists()
    issued = admin_client.post(add, {"name": "wms", "scopes": ["fulfillment:admin"], "sales_channel": ""})
    assert issued.status_code == 200 and 'id="issued-api-key"' in issued.content.decode()
    assert ApiClient.objects.get(name="wms").scopes == ["fulfillment:admin"]


def test_the_schema_names_the_scope_of_each_operation(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    create, listing = schema["paths"][LOCATIONS]["post"], schema["paths"][LOCATIONS]["get"]
    assert (create["x-required-scope"], create["x-back-office-only"]) == ("fulfillment:admin", True)
    assert "bound to a sales channel" in create["responses"]["403"]["description"]
    assert "fulfillment:admin" in create["description"]
    assert schema["paths"][LEVELS]["post"]["x-required-scope"] == "fulfillment:admin"
    assert (listing["x-required-scope"], "x-back-office-only" in listing) == ("fulfillment:read", False)
    keyed = [
        op for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict) and op.get("security")
    ]
    assert len(keyed) > 30
    assert all("x-required-scope" in op for op in keyed), "every keyed operation names its scope"
    back_office = {op["operationId"] for op in keyed if op.get("x-back-office-only")}
    assert back_office == {"createLocation", "setInventoryLevel"}
