"""The fingerprint of an order's request: stored with the order and compared with a retry's
body under the same Idempotency-Key, which may come after a deploy. Its form must not change
between releases, or a retry across one would be refused as another body."""

from __future__ import annotations

import hashlib

from app.order.schemas import OrderLineIn, PlaceOrderRequest, ShippingAddressIn
from app.order.service.placing import request_fingerprint


def test_the_fingerprint_is_the_sha256_of_the_canonical_json_body() -> None:
    request = PlaceOrderRequest(
        shipping_address=ShippingAddressIn(
            name="张三", phone="13812345678", county_code="520100", detail="观山湖区 1 号"
        ),
        payment_method="bank_transfer",
        organization_id=7,
        po_number="PO-1",
        lines=[OrderLineIn(sku_id=3, quantity=2)],
    )
    # Keys sorted, no spaces, text as itself (not \\u escapes), in UTF-8.
    canonical = (
        '{"lines":[{"quantity":2,"sku_id":3}],"organization_id":7,'
        '"payment_method":"bank_transfer","po_number":"PO-1",'
        '"shipping_address":{"county_code":"520100","detail":"观山湖区 1 号",'
        '"name":"张三","phone":"13812345678"}}'
    )
    assert request_fingerprint(request) == hashlib.sha256(canonical.encode()).hexdigest()


def test_another_body_has_another_fingerprint() -> None:
    def body(quantity: int) -> PlaceOrderRequest:
        return PlaceOrderRequest(
            shipping_address=ShippingAddressIn(
                name="张三", phone="13812345678", county_code="520100", detail="观山湖区 1 号"
            ),
            payment_method="stripe",
            lines=[OrderLineIn(sku_id=3, quantity=quantity)],
        )

    assert request_fingerprint(body(1)) == request_fingerprint(body(1))
    assert request_fingerprint(body(1)) != request_fingerprint(body(2))
