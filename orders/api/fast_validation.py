"""A fast reading of a request body for a StrictSerializer: the same validated data, or no answer.

DRF validates a nested body field by field through generic machinery, and deep-copies every nested
serializer's fields for each new serializer: for an order of five lines that was a quarter of a single
ingest's CPU. `FastReader` walks the same fields, compiled once from the serializer's declarations
(the same field objects, so the same limits, patterns, choices and defaults), and returns exactly the
validated data DRF would return.

It never words an error. On anything it is not sure of — a failed check, an unusual but acceptable
type (a number where text is expected, "yes" for a boolean), a field kind it does not know — it gives up
and the caller runs the DRF serializer, whose answer (and error body) is then the answer. So the fast
reading may accept less than DRF, never more, and what it accepts reads exactly as DRF reads it
(tests/api/test_fast_validation.py compares the two on generated bodies).

`read_body(serializer_class, data)` is the one body reader of the fast paths (ingest, the batch, the
change resources): the fast reading when it is sure, DRF's serializer otherwise.
"""

from collections.abc import Callable
from decimal import Decimal, DecimalException
from functools import cache

from django.core import validators as django_validators
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import fields, serializers
from rest_framework import validators as drf_validators

_MISSING = fields.empty
# A whole number this large is left to DRF (str() of a huge int has limits of its own).
_LARGE_INT = 10**18


class _Unsure(Exception):
    """The fast reading gives up: the DRF serializer decides and words any error."""


def _text(field: fields.CharField, checks: tuple, value):
    """CharField (and RegexField, EmailField) with trim_whitespace: its run_validation, for str and int."""
    kind = type(value)
    if kind is str:
        value = value.strip()
        if not value:
            if field.allow_blank:
                return ""
            raise _Unsure
    elif kind is int and -_LARGE_INT < value < _LARGE_INT:
        value = str(value)
    else:
        raise _Unsure
    max_length, min_length, others = checks
    if (max_length is not None and len(value) > max_length) or (min_length is not None and len(value) < min_length):
        raise _Unsure
    if "\x00" in value:
        raise _Unsure
    if not value.isascii():
        try:
            value.encode("utf-8")  # fails exactly on a lone surrogate (U+D800 to U+DFFF)
        except UnicodeEncodeError:
            raise _Unsure from None
    for validator in others:
        try:
            validator(value)
        except (DjangoValidationError, serializers.ValidationError):
            raise _Unsure from None
    return value


def _text_checks(field: fields.CharField) -> tuple | None:
    if not field.trim_whitespace:
        return None
    max_length = min_length = None
    others = []
    for validator in field.validators:
        if isinstance(validator, django_validators.MaxLengthValidator) and validator.limit_value == field.max_length:
            max_length = field.max_length
        elif isinstance(validator, django_validators.MinLengthValidator) and validator.limit_value == field.min_length:
            min_length = field.min_length
        elif isinstance(
            validator,
            django_validators.ProhibitNullCharactersValidator | drf_validators.ProhibitSurrogateCharactersValidator,
        ):
            continue  # checked inline
        elif isinstance(validator, django_validators.RegexValidator | django_validators.EmailValidator):
            others.append(validator)
        else:
            return None
    return max_length, min_length, tuple(others)


def _decimal(field: fields.DecimalField, checks: None, value):
    """DecimalField.to_internal_value and its min/max validators, for str, int and Decimal."""
    kind = type(value)
    if kind is str:
        text = value.strip()
        if not text:
            if field.allow_null:
                return None
            raise _Unsure
    elif kind is Decimal or (kind is int and -_LARGE_INT < value < _LARGE_INT):
        text = str(value)
    else:
        raise _Unsure
    if len(text) > fields.DecimalField.MAX_STRING_LENGTH:
        raise _Unsure
    try:
        number = Decimal(text)
    except DecimalException:
        raise _Unsure from None
    if not number.is_finite():
        raise _Unsure
    try:
        number = field.quantize(field.validate_precision(number))
    except serializers.ValidationError:
        raise _Unsure from None
    if (field.min_value is not None and number < field.min_value) or (
        field.max_value is not None and number > field.max_value
    ):
        raise _Unsure
    return number


def _decimal_checks(field: fields.DecimalField) -> tuple | None:
    if field.localize:
        return None
    for validator in field.validators:
        if isinstance(validator, django_validators.MaxValueValidator) and validator.limit_value == field.max_value:
            continue
        if isinstance(validator, django_validators.MinValueValidator) and validator.limit_value == field.min_value:
            continue
        return None
    return ()


def _choice(field: fields.ChoiceField, checks: None, value):
    if type(value) is not str:
        raise _Unsure
    if value == "" and field.allow_blank:
        return ""
    try:
        return field.choice_strings_to_values[value]
    except KeyError:
        raise _Unsure from None


def _boolean(field: fields.BooleanField, checks: None, value):
    if value is True or value is False:
        return value
    raise _Unsure


def _parsed(field: fields.Field, checks: None, value):
    """Dates and datetimes: DRF's own to_internal_value, on text only."""
    if type(value) is not str:
        raise _Unsure
    try:
        return field.to_internal_value(value)
    except (serializers.ValidationError, DjangoValidationError, ValueError, TypeError, OverflowError):
        raise _Unsure from None


def _no_validators(field: fields.Field) -> tuple | None:
    return () if not field.validators else None


# Field kinds read here, by exact class: a subclass may change the reading, so it is left to DRF.
_LEAVES: dict[type, tuple[Callable, Callable]] = {
    fields.CharField: (_text, _text_checks),
    fields.RegexField: (_text, _text_checks),
    fields.EmailField: (_text, _text_checks),
    fields.DecimalField: (_decimal, _decimal_checks),
    fields.ChoiceField: (_choice, _no_validators),
    fields.BooleanField: (_boolean, _no_validators),
    fields.DateTimeField: (_parsed, _no_validators),
    fields.DateField: (_parsed, _no_validators),
}


class _Shape:
    """One serializer's fields, compiled: (name, field, reader, checks, validate method)."""

    def __init__(self, serializer: serializers.Serializer, entries: list):
        self.serializer = serializer
        self.entries = entries
        self.names = frozenset(name for name, *_ in entries)

    def read(self, data):
        if type(data) is not dict:
            raise _Unsure
        if not self.names.issuperset(data):
            raise _Unsure  # an unknown field: StrictSerializer refuses it
        validated = {}
        for name, field, reader, checks, validate in self.entries:
            value = data.get(name, _MISSING)
            if value is _MISSING:
                if field.required:
                    raise _Unsure
                default = field.default
                if default is _MISSING:
                    continue  # SkipField: the key stays out, and its validate_<name> is not called
                value = default() if callable(default) else default
            elif value is None:
                if not field.allow_null:
                    raise _Unsure
            else:
                value = reader(field, checks, value)
            if validate is not None:
                try:
                    value = validate(value)
                except (serializers.ValidationError, DjangoValidationError):
                    raise _Unsure from None
            validated[name] = value
        return validated


def _nested(field, shape: _Shape, value):
    return shape.read(value)


def _many(field: serializers.ListSerializer, shape: _Shape, value):
    if type(value) is not list:
        raise _Unsure
    count = len(value)
    if (
        (not field.allow_empty and count == 0)
        or (field.max_length is not None and count > field.max_length)
        or (field.min_length is not None and count < field.min_length)
    ):
        raise _Unsure
    return [shape.read(item) for item in value]


def _plain_serializer(serializer) -> bool:
    """No validators or validate() of its own, and the unknown-key check of StrictSerializer only."""
    from orders.api.strict import StrictSerializer

    cls = type(serializer)
    return (
        isinstance(serializer, StrictSerializer)
        and cls.validate is serializers.Serializer.validate
        and cls.run_validation is serializers.Serializer.run_validation
        and cls.to_internal_value is StrictSerializer.to_internal_value
        and cls.run_validators is serializers.Serializer.run_validators
        and not serializer.validators
        and not getattr(getattr(cls, "Meta", None), "validators", None)
    )


def _compile(serializer: serializers.Serializer) -> _Shape | None:
    """The shape of a serializer's declared fields, or None when some field is beyond the fast reading."""
    if not _plain_serializer(serializer):
        return None
    entries = []
    for name, field in type(serializer)._declared_fields.items():
        if field.read_only or field.write_only or field.source not in (None, name):
            return None
        if getattr(field, "requires_context", False) or getattr(field.default, "requires_context", False):
            return None
        if isinstance(field, serializers.ListSerializer):
            if type(field) is not serializers.ListSerializer or field.validators:
                return None
            checks = _compile(field.child)
            reader = _many
        elif isinstance(field, serializers.Serializer):
            if field.validators:
                return None
            checks = _compile(field)
            reader = _nested
        elif type(field) in _LEAVES:
            reader, make_checks = _LEAVES[type(field)]
            checks = make_checks(field)
        else:
            return None
        if checks is None:
            return None
        validate = getattr(serializer, f"validate_{name}", None)
        entries.append((name, field, reader, checks, validate))
    return _Shape(serializer, entries)


class FastReader:
    """`read(data)`: what `serializer_class().run_validation(data)` returns, or None to let DRF decide."""

    def __init__(self, serializer_class: type[serializers.Serializer]):
        self.serializer_class = serializer_class
        self.shape = _compile(serializer_class())

    @property
    def covers(self) -> bool:
        """False when the serializer has a field the fast reading does not know: every body goes to DRF."""
        return self.shape is not None

    def read(self, data) -> dict | None:
        if self.shape is None:
            return None
        try:
            return self.shape.read(data)
        except _Unsure:
            return None


@cache
def fast_reader(serializer_class: type[serializers.Serializer]) -> FastReader:
    """The serializer's fast reading, compiled once per process."""
    return FastReader(serializer_class)


def read_body(
    serializer_class: type[serializers.Serializer], data, *, serializer: serializers.Serializer | None = None
) -> dict:
    """What `serializer_class(data=data).is_valid(raise_exception=True)` validates `data` to; an invalid
    body raises DRF's ValidationError with DRF's own detail (the fast reading never words an error).

    `serializer`, an instance of `serializer_class`, is reused for the bodies the fast reading leaves to
    DRF (a batch builds its tree of fields once, not per order)."""
    validated = fast_reader(serializer_class).read(data)
    if validated is None:
        validated = (serializer or serializer_class()).run_validation(data)
    return validated
