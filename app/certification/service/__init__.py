"""Use cases of the certification domain: adding certificates, scans, review, and the label rule."""

from __future__ import annotations

from app.certification.service.labels import (
    badge_is_valid,
    certificates_for_cooperative,
    get_owned_certificates,
    today_in_china,
)
from app.certification.service.review import (
    MAX_PER_PAGE,
    REASON_MAX_LENGTH,
    REINDEX_PRODUCTS_JOB,
    ReviewAction,
    certificate_queue,
    count_pending,
    review_certificate,
)
from app.certification.service.submission import (
    EARLIEST_DATE,
    ISSUER_MAX_LENGTH,
    ISSUER_MIN_LENGTH,
    LATEST_DATE,
    MAX_SCAN_BYTES,
    PDF_MAGIC,
    SCAN_FIELD,
    add_certificate,
    attach_scan,
)
from app.certification.service.views import (
    SupplierCertificates,
    certificate_out,
    supplier_certificates,
)

__all__ = [
    "EARLIEST_DATE",
    "ISSUER_MAX_LENGTH",
    "ISSUER_MIN_LENGTH",
    "LATEST_DATE",
    "MAX_PER_PAGE",
    "MAX_SCAN_BYTES",
    "PDF_MAGIC",
    "REASON_MAX_LENGTH",
    "REINDEX_PRODUCTS_JOB",
    "SCAN_FIELD",
    "ReviewAction",
    "SupplierCertificates",
    "add_certificate",
    "attach_scan",
    "badge_is_valid",
    "certificate_out",
    "certificate_queue",
    "certificates_for_cooperative",
    "count_pending",
    "get_owned_certificates",
    "review_certificate",
    "supplier_certificates",
    "today_in_china",
]
