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

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            # A lone surrogate sent by the client and echoed in an error message has no UTF-8 form:
            # escape every non-ASCII character instead (the same JSON once read) rather than answer 500.
            self.ensure_ascii = True
            return super().render(data, accepted_media_type, renderer_context)
