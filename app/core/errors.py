"""Domain errors: each carries its HTTP status and a snake_case code; one handler renders them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar


class DomainError(Exception):
    """A business rule said no. Subclasses fix the status and default code."""

    status_code: ClassVar[int] = 400
    code: str = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields: dict[str, str] = dict(fields or {})
        # Response headers the error implies (Retry-After, WWW-Authenticate).
        self.headers: dict[str, str] | None = dict(headers) if headers else None


class BadRequest(DomainError):
    status_code = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class PayloadTooLarge(DomainError):
    status_code = 413
    code = "payload_too_large"


class ValidationFailed(DomainError):
    """Input that parses but breaks a rule; `fields` names each offending field."""

    status_code = 422
    code = "validation_failed"


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field: a snake_case code, an English message for the API and,
    where a field can fail in several ways, the finer reason (the pages word each one)."""

    code: str
    message: str
    detail: str | None = None


class InvalidFields(ValidationFailed):
    """One or more fields break a rule. The error's code names the problem when there is one
    kind of problem ("invalid_credit_code"), else it is "validation_failed"; `fields` holds a
    message per field and `problems` the structured reasons."""

    def __init__(self, problems: Mapping[str, FieldProblem]) -> None:
        codes = {problem.code for problem in problems.values()}
        code = codes.pop() if len(codes) == 1 else "validation_failed"
        super().__init__(
            self.summary(problems),
            code=code,
            fields={name: problem.message for name, problem in problems.items()},
        )
        self.problems: dict[str, FieldProblem] = dict(problems)

    @staticmethod
    def summary(problems: Mapping[str, FieldProblem]) -> str:
        """The error's message: which fields are invalid."""
        return f"Some fields are invalid: {', '.join(problems)}."


class RateLimited(DomainError):
    status_code = 429
    code = "rate_limited"
