"""Errors of the proof domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from typing import ClassVar

from app.core.errors import Conflict, DomainError, NotFound


class OrderNotFound(NotFound):
    """No such order, or not one of this organisation's (not revealed)."""

    code = "order_not_found"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"The organisation has no order {order_id}.")


class OrderNotPaid(Conflict):
    """An order waiting for its payment has bought nothing yet, so there is nothing to prove."""

    code = "order_not_paid"

    def __init__(self, order_id: int) -> None:
        super().__init__(
            f"Order {order_id} has not been paid; a certificate is issued once it is paid."
        )


class OrderCancelled(Conflict):
    """A cancelled order (expired unpaid, or cancelled and refunded in full) proves no purchase."""

    code = "order_cancelled"

    def __init__(self, order_id: int) -> None:
        super().__init__(f"Order {order_id} was cancelled; it has no purchase certificate.")


class PdfFontMissing(DomainError):
    """No font that covers Chinese is installed (or FENGSHOU_PDF_FONT names none): a PDF
    would show empty boxes, so none is made; the HTML version stays available."""

    status_code: ClassVar[int] = 503
    code = "pdf_font_missing"

    def __init__(self) -> None:
        super().__init__(
            "No Chinese font is installed for PDF output (install fonts-wqy-microhei or set "
            "FENGSHOU_PDF_FONT); the HTML version can be printed instead."
        )
