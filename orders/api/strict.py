"""Request bodies refuse keys they do not know: a misspelt field, or one a client must not set
(a status, a total, a price after ingest, a channel), is an error, never silently ignored."""

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a misspelt or forbidden field (status, totals) is not ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)
