"""Collect every problem with a request before refusing it, each with the field it is about."""

from orders.errors import FieldError, InvalidInput, InvalidState


class Problems:
    """Input problems (400) and state problems (409); input problems are reported first."""

    def __init__(self) -> None:
        self.input: list[FieldError] = []
        self.state: list[FieldError] = []

    def bad_input(self, message: str, field: str | None, *, code: str | None = None) -> None:
        self.input.append(FieldError(message, field, code))

    def bad_state(self, message: str, field: str | None, *, code: str | None = None) -> None:
        self.state.append(FieldError(message, field, code))

    def raise_if_any(self) -> None:
        if self.input:
            raise InvalidInput(_summary(self.input), errors=list(self.input))
        if self.state:
            raise InvalidState(_summary(self.state), errors=list(self.state))


def _summary(errors: list[FieldError]) -> str:
    first = errors[0]
    return f"{first.field}: {first.message}" if first.field else first.message
