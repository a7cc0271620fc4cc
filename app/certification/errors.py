"""Errors of the certification domain, each a DomainError with its HTTP status and code."""

from __future__ import annotations

from collections.abc import Iterable

from app.core.errors import Conflict, NotFound, ValidationFailed

# Field messages the pages recognise to show their own (Chinese) wording for the same rule.
BAD_DATE = "Enter a date as YYYY-MM-DD."
DATE_OUT_OF_RANGE = "Enter a date between 1990-01-01 and 2100-12-31."
UNTIL_NOT_AFTER_FROM = "valid_until must be after valid_from."
ALREADY_EXPIRED = "The certificate has already expired."
UNKNOWN_KIND = "Choose one of gi, green_food or organic."
ISSUER_LENGTH = "The issuer has between 2 and 100 characters."
REASON_LENGTH = "Give a reason of 1 to 500 characters."


class CertificateNotFound(NotFound):
    code = "certificate_not_found"

    def __init__(self, certificate_id: int) -> None:
        super().__init__(f"No certificate with id {certificate_id}.")


class CertificateInvalid(ValidationFailed):
    """One or more fields of a new certificate break a rule; `fields` names each."""

    code = "validation_failed"

    def __init__(self, fields: dict[str, str]) -> None:
        # The fields' own messages say what is expected (e.g. the number format of the kind).
        message = " ".join(f"{name}: {text}" for name, text in fields.items())
        super().__init__(message, fields=fields)


class CertificateNumberTaken(Conflict):
    """A green-food or organic number has one pending claim at a time; a GI number is held
    once per cooperative (the producers of its region share it)."""

    code = "certificate_number_taken"

    def __init__(self, kind: str, number: str) -> None:
        super().__init__(
            f"A {kind} certificate numbered {number} is already registered or awaits review.",
            fields={"number": "This certificate number is already registered."},
        )


class CertificateNumberHeld(Conflict):
    """Verifying a claim of a number another supplier's verified certificate holds."""

    code = "certificate_number_held"

    def __init__(self, holder_id: int | None) -> None:
        holder = f"Certificate {holder_id}" if holder_id is not None else "A certificate"
        super().__init__(
            f"{holder} of another supplier is verified with this number: revoke it before "
            "verifying this one."
        )
        self.holder_id = holder_id


class InvalidStatusTransition(Conflict):
    code = "invalid_status_transition"

    def __init__(self, current: str, action: str) -> None:
        super().__init__(f"A {current} certificate cannot be {action}.")
        self.current = current


class ScanLocked(Conflict):
    """The scan an operator verified (or revoked) stays as it was."""

    code = "certificate_locked"

    def __init__(self, current: str) -> None:
        super().__init__(
            f"The scan of a {current} certificate cannot be replaced; add a new certificate."
        )


class UnknownCertificates(ValidationFailed):
    """A product named certificates that do not exist or belong to another supplier."""

    code = "unknown_certificates"

    def __init__(self, certificate_ids: Iterable[int]) -> None:
        listed = ", ".join(str(i) for i in sorted(certificate_ids))
        message = f"No certificates of this supplier have the ids {listed}."
        super().__init__(message, fields={"certificate_ids": message})


class ScanRefused(ValidationFailed):
    """An upload that is not a usable scan: empty, too large, or neither an image nor a PDF."""

    code = "invalid_scan"
