"""JSON rendering of Decimal money and quantities as exact JSON numbers."""

from decimal import Decimal

from rest_framework.renderers import JSONRenderer
from rest_framework.utils.encoders import JSONEncoder


class DecimalNumberEncoder(JSONEncoder):
    """A whole Decimal as an integer (3850 JPY, not 3850.0); any other as the shortest float that
    reads back as the same decimal, exact for every amount below 10^13 at four places."""

    def default(self, obj):
        if isinstance(obj, Decimal) and obj.is_finite():
            return int(obj) if obj == obj.to_integral_value() else float(obj)
        return super().default(obj)


class DecimalJSONRenderer(JSONRenderer):
    encoder_class = DecimalNumberEncoder
