"""Errors of traceability, each with its HTTP status and snake_case code."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import NotFound, ValidationFailed


class BatchNotFound(NotFound):
    code = "batch_not_found"

    def __init__(self, what: str) -> None:
        super().__init__(f"No harvest batch {what}.")


class InvalidBatchFields(ValidationFailed):
    """Fields of a batch (or of a shipment naming batches) that break a rule."""

    code = "invalid_batch"

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("Some fields of the batch are invalid.", fields=fields)
