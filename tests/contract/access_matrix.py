"""Who may call each route: the expected answer for each role (the columns of world.ROLES).

Answers: "ok" (allowed: the route did its work, or refused the input or the state, never the
caller), "401" (API without a token), "login" (a page sends a signed-out visitor to /login),
"403" (signed in without the role), "404" (someone else's data, or a role's lack of access
shown as absence: the contract answers 404, not 403, for what belongs to someone else).

Each entry names a policy, a mapping of role to answer whose "*" answers for the roles it does
not name. A path's parameters name things of cooperative A, organisation A and the consumer
(world.py) unless `params` points one elsewhere (`{"order_id": "org_order_id"}`); `json`,
`form`, `files` and `headers` make the request one the route takes, so that a refusal can only
be the caller's. Adding a route: add its line to its domain's block, with the policy that says
who may call it (gift orders: beside bulk orders; sessions and tokens: beside accounts).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tests.account.factories import PASSWORD
from tests.catalog.factories import png_bytes, product_body, sku
from tests.contract.world import ROLES, email_of
from tests.cooperative.factories import application as cooperative_application
from tests.order.factories import address, order_body
from tests.organization.factories import application as organization_application
from tests.procurement.factories import csv_bytes, submit_body

Policy = Mapping[str, str]


@dataclass(frozen=True)
class Entry:
    policy: Policy
    params: Mapping[str, str] = field(default_factory=dict)
    json: Any = None
    # A form, or a function of the world's ids giving one (a form naming SKU A's id).
    form: Mapping[str, str] | Callable[[Mapping[str, Any]], Mapping[str, str]] = field(
        default_factory=dict
    )
    files: Any = None
    headers: Mapping[str, str] | None = None

    def form_for(self, ids: Mapping[str, Any]) -> Mapping[str, str]:
        return self.form(ids) if callable(self.form) else self.form


def expected_answers(entry: Entry) -> dict[str, str]:
    """The answer of each role for this route."""
    default = entry.policy["*"]
    return {role: entry.policy.get(role, default) for role in ROLES}


def allowing(*roles: str, others: str = "404", **answers: str) -> Policy:
    """The API policy: `roles` allowed, anonymous 401, the rest `others` (or their own answer)."""
    return {"anonymous": "401", **dict.fromkeys(roles, "ok"), **answers, "*": others}


def page(policy: Policy) -> Policy:
    """The same policy on a page: signed out, the visitor is sent to sign in."""
    return {**policy, "anonymous": "login"} if policy.get("anonymous") == "401" else policy


# ---------------------------------------------------------------------------------------------
# Policies (API; `page(...)` for pages)

EVERYONE: Policy = {"*": "ok"}
SIGNED_IN = allowing(others="ok")
OPERATOR = allowing("operator", others="403")
CONSUMER = allowing("consumer")  # the consumer's own order, cart line or invitation
COOP_A = allowing("coop_a")
COOP_A_OR_OPERATOR = allowing("coop_a", "operator")
ORG_A = allowing("buyer_a", "approver_a", "admin_a", "operator")
ORG_A_MEMBERS = allowing("buyer_a", "approver_a", "admin_a")
ORG_A_ADMIN = allowing("admin_a", buyer_a="403", approver_a="403")
ORG_A_DRAFTERS = allowing("buyer_a", "admin_a")  # a draft: who may draw bulk orders up
ORG_A_APPROVERS = allowing("approver_a", "admin_a")
OFFICIAL = allowing("official", "operator", others="403")

_FILE = {"file": ("list.csv", csv_bytes([("sku_code", "quantity"), ("NO-SUCH-SKU", 1)]))}
_RECIPIENTS = {
    "recipients": (
        "名单.csv",
        csv_bytes(
            [
                ("name", "phone", "county_code", "detail"),
                ("王芳", "13800000001", "110105", "朝阳路 1 号院"),
            ]
        ),
    )
}


def _gift_items(ids: Mapping[str, Any]) -> Mapping[str, str]:
    """A gift of one unit of SKU A for each recipient."""
    return {"sku_id": str(ids["sku_id"]), "quantity_each": "1"}


_GIFT = {"bulk_order_id": "gift_order_id"}
_TRACKING = {
    "file": (
        "sheet.csv",
        csv_bytes([("fulfillment_id", "carrier", "tracking_number"), (1, "顺丰速运", "SF123456")]),
    )
}
_PHOTO = {"file": ("photo.png", png_bytes(64, 48), "image/png")}
_CERTIFICATE = {
    "kind": "gi",
    "number": "AGI09876",
    "issuer": "中华人民共和国农业农村部",
    "valid_from": "2024-01-01",
    "valid_until": "2030-12-31",
}
_SHIPPING = {"base_fee_fen": 800, "per_kg_fen": 200}

MATRIX: dict[str, Entry] = {
    # --- the site and FastAPI's own documentation -------------------------------------------
    "GET /": Entry(EVERYONE),
    "GET /healthz": Entry(EVERYONE),
    "GET /readyz": Entry(EVERYONE),
    "GET /openapi.json": Entry(EVERYONE),
    "GET /docs": Entry(EVERYONE),
    # --- accounts and invitations -----------------------------------------------------------
    "POST /api/v1/auth/register": Entry(
        EVERYONE,
        json={
            "email": "new-user@matrix.example.com",
            "password": "a long password",
            "display_name": "新用户",
        },
    ),
    "POST /api/v1/auth/token": Entry(
        EVERYONE, json={"email": email_of("consumer"), "password": PASSWORD}
    ),
    "GET /api/v1/me": Entry(SIGNED_IN),
    "POST /api/v1/auth/logout": Entry(SIGNED_IN),
    "GET /api/v1/me/tokens": Entry(SIGNED_IN),
    "DELETE /api/v1/me/tokens/{token_id}": Entry(CONSUMER),  # the consumer's own token
    "POST /api/v1/me/sign-out-everywhere": Entry(SIGNED_IN),
    "POST /api/v1/me/password": Entry(
        SIGNED_IN, json={"current_password": PASSWORD, "new_password": "a new long passphrase"}
    ),
    "POST /account/password": Entry(
        page(SIGNED_IN), form={"current_password": PASSWORD, "new_password": "a new passphrase"}
    ),
    # Every session ends, this one too: whoever calls it lands on the login page.
    "POST /account/sign-out-everywhere": Entry({"*": "login"}),
    "POST /account/tokens/{token_id}/revoke": Entry(page(CONSUMER)),
    "GET /api/v1/me/invitations": Entry(SIGNED_IN),
    "POST /api/v1/invitations/{invitation_id}/accept": Entry(CONSUMER),
    "POST /api/v1/invitations/{invitation_id}/decline": Entry(CONSUMER),
    "GET /login": Entry(EVERYONE),
    "POST /login": Entry(EVERYONE, form={"email": email_of("consumer"), "password": PASSWORD}),
    "GET /register": Entry(EVERYONE),
    "POST /register": Entry(EVERYONE),
    "POST /logout": Entry(EVERYONE),
    "GET /account": Entry(page(SIGNED_IN)),
    "GET /invitations/{invitation_id}": Entry(page(CONSUMER)),
    "POST /invitations/{invitation_id}/accept": Entry(page(CONSUMER)),
    "POST /invitations/{invitation_id}/decline": Entry(page(CONSUMER)),
    # --- regions ----------------------------------------------------------------------------
    "GET /api/v1/regions/provinces": Entry(EVERYONE),
    "GET /api/v1/regions/counties": Entry(EVERYONE),
    "GET /api/v1/regions/prefectures": Entry(EVERYONE),
    "GET /api/v1/regions/counties/{code}": Entry(EVERYONE),
    "GET /api/v1/pairings": Entry(EVERYONE),
    "GET /counties/{code}": Entry(EVERYONE),
    # --- cooperatives -----------------------------------------------------------------------
    "POST /api/v1/cooperatives": Entry(SIGNED_IN, json=cooperative_application(9001)),
    "GET /api/v1/cooperatives/{cooperative_id}": Entry(EVERYONE),  # verified: public
    "GET /api/v1/cooperatives/{cooperative_id}/members": Entry(COOP_A_OR_OPERATOR),
    "POST /api/v1/cooperatives/{cooperative_id}/members": Entry(
        COOP_A, json={"email": "invitee@matrix.example.com"}
    ),
    "PATCH /api/v1/cooperatives/{cooperative_id}/members/{user_id}": Entry(
        COOP_A, params={"user_id": "coop_member_id"}, json={"role": "admin"}
    ),
    "DELETE /api/v1/cooperatives/{cooperative_id}/members/{user_id}": Entry(
        COOP_A, params={"user_id": "coop_member_id"}
    ),
    "GET /api/v1/cooperatives/{cooperative_id}/invitations": Entry(COOP_A),
    "PUT /api/v1/cooperatives/{cooperative_id}/story": Entry(
        COOP_A, json={"story": "合作社带动 120 户种茶。"}
    ),
    "DELETE /api/v1/cooperatives/{cooperative_id}/invitations/{invitation_id}": Entry(
        COOP_A, params={"invitation_id": "coop_invitation_id"}
    ),
    "GET /api/v1/admin/cooperatives": Entry(OPERATOR),
    "POST /api/v1/admin/cooperatives/{cooperative_id}/verify": Entry(OPERATOR),
    "POST /api/v1/admin/cooperatives/{cooperative_id}/reject": Entry(OPERATOR),
    "POST /api/v1/admin/cooperatives/{cooperative_id}/suspend": Entry(OPERATOR),
    "POST /api/v1/admin/cooperatives/{cooperative_id}/reinstate": Entry(OPERATOR),
    "GET /api/v1/admin/cooperatives/{cooperative_id}": Entry(OPERATOR),
    "GET /coop": Entry(page(SIGNED_IN)),
    "GET /coop/register": Entry(page(SIGNED_IN)),
    "POST /coop/register": Entry(page(SIGNED_IN)),
    "GET /coop/{cooperative_id}": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/members": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/story": Entry(
        page(COOP_A), form={"story": "合作社带动农户种茶。"}
    ),
    "POST /coop/{cooperative_id}/members/{member_id}/role": Entry(
        page(COOP_A), params={"member_id": "coop_member_id"}, form={"role": "admin"}
    ),
    "POST /coop/{cooperative_id}/members/{member_id}/remove": Entry(
        page(COOP_A), params={"member_id": "coop_member_id"}
    ),
    "POST /coop/{cooperative_id}/invitations/{invitation_id}/revoke": Entry(
        page(COOP_A), params={"invitation_id": "coop_invitation_id"}
    ),
    "GET /coop/{cooperative_id}/impact": Entry(page(COOP_A)),
    "GET /admin/cooperatives": Entry(page(OPERATOR)),
    "POST /admin/cooperatives/{cooperative_id}/{action}": Entry(page(OPERATOR)),
    "GET /admin/cooperatives/{cooperative_id}": Entry(page(OPERATOR)),
    # --- organisations ----------------------------------------------------------------------
    "POST /api/v1/organizations": Entry(SIGNED_IN, json=organization_application(9001)),
    "GET /api/v1/organizations/{organization_id}": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/members": Entry(ORG_A),
    "POST /api/v1/organizations/{organization_id}/members": Entry(
        ORG_A_ADMIN, json={"email": "invitee@matrix.example.com", "role": "buyer"}
    ),
    "PATCH /api/v1/organizations/{organization_id}/members/{user_id}": Entry(
        ORG_A_ADMIN, json={"role": "approver"}
    ),
    # Members may leave (user_id is the buyer's own); admins remove anyone.
    "DELETE /api/v1/organizations/{organization_id}/members/{user_id}": Entry(
        allowing("admin_a", "buyer_a", approver_a="403")
    ),
    "GET /api/v1/organizations/{organization_id}/invitations": Entry(ORG_A_ADMIN),
    "DELETE /api/v1/organizations/{organization_id}/invitations/{invitation_id}": Entry(
        ORG_A_ADMIN
    ),
    "GET /api/v1/organizations/{organization_id}/targets": Entry(ORG_A),
    "PUT /api/v1/organizations/{organization_id}/targets/{year}": Entry(
        ORG_A_ADMIN, json={"canteen_budget_fen": 100_000_000, "reserved_share_bp": 1500}
    ),
    "GET /api/v1/admin/organizations": Entry(OPERATOR),
    "POST /api/v1/admin/organizations/{organization_id}/verify": Entry(OPERATOR),
    "POST /api/v1/admin/organizations/{organization_id}/reject": Entry(OPERATOR),
    "POST /api/v1/admin/organizations/{organization_id}/suspend": Entry(OPERATOR),
    "POST /api/v1/admin/organizations/{organization_id}/reinstate": Entry(OPERATOR),
    "PUT /api/v1/admin/organizations/{organization_id}/designated-counties": Entry(OPERATOR),
    "GET /org/": Entry(page(SIGNED_IN)),
    "GET /org/register": Entry(page(SIGNED_IN)),
    "POST /org/register": Entry(page(SIGNED_IN)),
    "GET /org/{organization_id}/": Entry(page(ORG_A)),
    "GET /org/{organization_id}/members": Entry(page(ORG_A)),
    "POST /org/{organization_id}/members": Entry(page(ORG_A_ADMIN)),
    "POST /org/{organization_id}/members/{member_id}/role": Entry(
        page(ORG_A_ADMIN), form={"role": "approver"}
    ),
    "POST /org/{organization_id}/members/{member_id}/remove": Entry(
        page(allowing("admin_a", "buyer_a", approver_a="403"))
    ),
    "POST /org/{organization_id}/invitations/{invitation_id}/revoke": Entry(page(ORG_A_ADMIN)),
    "GET /org/{organization_id}/targets": Entry(page(ORG_A)),
    "POST /org/{organization_id}/targets": Entry(page(ORG_A_ADMIN)),
    "GET /admin/organizations": Entry(page(OPERATOR)),
    "POST /admin/organizations/{organization_id}/{action}": Entry(page(OPERATOR)),
    # --- certificates -----------------------------------------------------------------------
    "POST /api/v1/cooperatives/{cooperative_id}/certificates": Entry(COOP_A, json=_CERTIFICATE),
    "GET /api/v1/cooperatives/{cooperative_id}/certificates": Entry(COOP_A),
    "POST /api/v1/certificates/{certificate_id}/scan": Entry(COOP_A, files=_PHOTO),
    "GET /api/v1/admin/certificates": Entry(OPERATOR),
    "POST /api/v1/admin/certificates/{certificate_id}/verify": Entry(OPERATOR),
    "POST /api/v1/admin/certificates/{certificate_id}/reject": Entry(OPERATOR),
    "POST /api/v1/admin/certificates/{certificate_id}/revoke": Entry(OPERATOR),
    "GET /coop/{cooperative_id}/certificates": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/certificates": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/certificates/{certificate_id}/scan": Entry(page(COOP_A)),
    "GET /admin/certificates": Entry(page(OPERATOR)),
    "POST /admin/certificates/{certificate_id}/verify": Entry(page(OPERATOR)),
    "POST /admin/certificates/{certificate_id}/reject": Entry(page(OPERATOR)),
    "POST /admin/certificates/{certificate_id}/revoke": Entry(page(OPERATOR)),
    # --- catalog ----------------------------------------------------------------------------
    "GET /api/v1/products": Entry(EVERYONE),
    "GET /api/v1/products/{product_id}": Entry(EVERYONE),
    "PATCH /api/v1/products/{product_id}": Entry(COOP_A, json={"title": "三都有机蓝莓礼盒"}),
    "POST /api/v1/cooperatives/{cooperative_id}/products": Entry(
        COOP_A, json=product_body(status="draft")
    ),
    "GET /api/v1/suppliers/{cooperative_id}": Entry(EVERYONE),
    "GET /suppliers/{cooperative_id}": Entry(EVERYONE),
    "GET /api/v1/cooperatives/{cooperative_id}/products": Entry(COOP_A),
    "POST /api/v1/products/{product_id}/skus": Entry(COOP_A, json=sku("MATRIX-SKU")),
    "PATCH /api/v1/skus/{sku_id}": Entry(COOP_A, json={"stock": 40}),
    "POST /api/v1/products/{product_id}/photos": Entry(COOP_A, files=_PHOTO),
    "DELETE /api/v1/products/{product_id}/photos/{photo_id}": Entry(COOP_A),
    "PUT /api/v1/admin/reference-prices": Entry(OPERATOR),
    "GET /admin/reference-prices": Entry(page(OPERATOR)),
    "POST /admin/reference-prices": Entry(
        page(OPERATOR), form={"category": "fruit", "unit": "500g/盒", "price": "5", "ratio": "150"}
    ),
    "GET /api/v1/admin/flagged-products": Entry(OPERATOR),
    "GET /products": Entry(EVERYONE),
    "GET /products/{slug}": Entry(EVERYONE),
    "GET /robots.txt": Entry(EVERYONE),
    "GET /sitemap.xml": Entry(EVERYONE),
    "GET /coop/{cooperative_id}/products": Entry(page(COOP_A)),
    "GET /coop/{cooperative_id}/products/new": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/new": Entry(page(COOP_A)),
    "GET /coop/{cooperative_id}/products/{product_id}/edit": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/{product_id}/edit": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/{product_id}/skus": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/{product_id}/skus/{sku_id}": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/{product_id}/photos": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/products/{product_id}/photos/{photo_id}/delete": Entry(
        page(COOP_A)
    ),
    # --- shipping ---------------------------------------------------------------------------
    "GET /api/v1/cooperatives/{cooperative_id}/shipping-rule": Entry(COOP_A),
    "PUT /api/v1/cooperatives/{cooperative_id}/shipping-rule": Entry(COOP_A, json=_SHIPPING),
    "GET /coop/{cooperative_id}/shipping": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/shipping": Entry(page(COOP_A)),
    # --- cart (each caller's own, anonymous ones by cookie) ---------------------------------
    "GET /api/v1/cart": Entry(EVERYONE),
    "POST /api/v1/cart/items": Entry(
        EVERYONE, json=lambda ids: {"sku_id": ids["sku_id"], "quantity": 1}
    ),
    "PATCH /api/v1/cart/items/{sku_id}": Entry(EVERYONE, json={"quantity": 2}),
    "DELETE /api/v1/cart/items/{sku_id}": Entry(EVERYONE),
    "GET /cart": Entry(EVERYONE),
    "POST /cart/add": Entry(EVERYONE),
    "POST /cart/update": Entry(EVERYONE),
    "POST /cart/remove": Entry(EVERYONE),
    # --- orders, fulfilments, checkout -------------------------------------------------------
    # For organisation A, from the caller's cart (each holds SKU A): any of its members buys for
    # it (order.repository.ORGANIZATION_BUYER_ROLES); for anyone else it does not exist.
    "POST /api/v1/orders": Entry(
        ORG_A_MEMBERS,
        json=lambda ids: order_body(None, organization_id=ids["organization_id"], po_number="PO-1"),
        headers={"Idempotency-Key": "matrix-order-1"},
    ),
    "GET /api/v1/orders": Entry(SIGNED_IN),  # each caller's own
    "GET /api/v1/orders/{order_id}": Entry(CONSUMER),
    "POST /api/v1/orders/{order_id}/cancel": Entry(CONSUMER),
    "POST /api/v1/admin/orders/{order_id}/cancel": Entry(OPERATOR),
    "GET /api/v1/cooperatives/{cooperative_id}/fulfillments": Entry(COOP_A),
    "POST /api/v1/fulfillments/{fulfillment_id}/accept": Entry(COOP_A),
    "POST /api/v1/fulfillments/{fulfillment_id}/ship": Entry(
        COOP_A, json={"carrier": "顺丰速运", "tracking_number": "SF1234567890"}
    ),
    "POST /api/v1/fulfillments/{fulfillment_id}/confirm-receipt": Entry(CONSUMER),
    "PUT /api/v1/cooperatives/{cooperative_id}/webhook": Entry(
        COOP_A,
        json={
            "url": "https://erp.example.com/fengshou",
            "secret": "a-secret-of-32-characters-at-least",
        },
    ),
    "GET /checkout": Entry(page(SIGNED_IN)),
    "GET /checkout/summary": Entry(page(SIGNED_IN)),
    # --- the address book: the consumer's own address ---------------------------------------
    "GET /api/v1/me/addresses": Entry(SIGNED_IN),
    "POST /api/v1/me/addresses": Entry(SIGNED_IN, json=address()),
    "GET /api/v1/me/addresses/{address_id}": Entry(CONSUMER),
    "PUT /api/v1/me/addresses/{address_id}": Entry(CONSUMER, json=address()),
    "DELETE /api/v1/me/addresses/{address_id}": Entry(CONSUMER),
    "POST /api/v1/me/addresses/{address_id}/default": Entry(CONSUMER),
    "GET /account/addresses": Entry(page(SIGNED_IN)),
    "POST /account/addresses": Entry(page(SIGNED_IN), form=address()),
    "GET /account/addresses/{address_id}": Entry(page(CONSUMER)),
    "POST /account/addresses/{address_id}": Entry(page(CONSUMER), form=address()),
    "POST /account/addresses/{address_id}/default": Entry(page(CONSUMER)),
    "POST /account/addresses/{address_id}/delete": Entry(page(CONSUMER)),
    "POST /checkout": Entry(page(SIGNED_IN)),
    "GET /orders": Entry(page(SIGNED_IN)),
    "GET /orders/{order_id}": Entry(page(CONSUMER)),
    "POST /orders/{order_id}/cancel": Entry(page(CONSUMER)),
    "POST /orders/{order_id}/fulfillments/{fulfillment_id}/confirm-receipt": Entry(page(CONSUMER)),
    "POST /admin/orders/{order_id}/cancel": Entry(page(OPERATOR)),
    "GET /coop/{cooperative_id}/fulfillments": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/fulfillments/{fulfillment_id}/accept": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/fulfillments/{fulfillment_id}/ship": Entry(page(COOP_A)),
    "GET /api/v1/cooperatives/{cooperative_id}/fulfillments/shipping-sheet.xlsx": Entry(COOP_A),
    "POST /api/v1/cooperatives/{cooperative_id}/fulfillments/tracking": Entry(
        COOP_A, files=_TRACKING
    ),
    "GET /coop/{cooperative_id}/fulfillments/shipping-sheet.xlsx": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/fulfillments/tracking": Entry(page(COOP_A), files=_TRACKING),
    "GET /coop/{cooperative_id}/webhook": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/webhook": Entry(page(COOP_A)),
    # --- after-sales: the consumer's request about their order, to cooperative A -----------
    "POST /api/v1/after-sales/photos": Entry(SIGNED_IN, files=_PHOTO),
    "POST /api/v1/orders/{order_id}/after-sales": Entry(
        CONSUMER,
        json={
            "kind": "refund_only",
            "lines": [{"order_line_id": 1, "quantity": 1}],
            "reason": "包装破损",
        },
    ),
    "GET /api/v1/orders/{order_id}/after-sales": Entry(CONSUMER),
    "GET /api/v1/cooperatives/{cooperative_id}/after-sales": Entry(COOP_A),
    "POST /api/v1/after-sales/{request_id}/accept": Entry(COOP_A),
    "POST /api/v1/after-sales/{request_id}/reject": Entry(COOP_A, json={"reason": "不同意"}),
    "POST /api/v1/after-sales/{request_id}/received": Entry(COOP_A),
    "POST /api/v1/after-sales/{request_id}/escalate": Entry(CONSUMER),
    "POST /api/v1/after-sales/{request_id}/return": Entry(
        CONSUMER, json={"carrier": "顺丰", "tracking_number": "SF12345678"}
    ),
    "GET /api/v1/admin/after-sales": Entry(OPERATOR),
    "POST /api/v1/admin/after-sales/{request_id}/decide": Entry(
        OPERATOR, json={"outcome": "reject", "reason": "驳回"}
    ),
    "POST /api/v1/admin/after-sales/{request_id}/payout": Entry(
        OPERATOR, json={"bank_reference": "HX-0001"}
    ),
    "POST /orders/{order_id}/after-sales": Entry(
        page(CONSUMER), form={"kind": "refund_only", "reason": "包装破损"}
    ),
    "POST /orders/{order_id}/after-sales/{request_id}/escalate": Entry(page(CONSUMER)),
    "POST /orders/{order_id}/after-sales/{request_id}/return": Entry(
        page(CONSUMER), form={"carrier": "顺丰速运", "tracking_number": "SF12345678"}
    ),
    "GET /coop/{cooperative_id}/after-sales": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/after-sales/{request_id}/accept": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/after-sales/{request_id}/reject": Entry(
        page(COOP_A), form={"reason": "不同意"}
    ),
    "POST /coop/{cooperative_id}/after-sales/{request_id}/received": Entry(page(COOP_A)),
    "GET /admin/after-sales": Entry(page(OPERATOR)),
    "POST /admin/after-sales/{request_id}/decide": Entry(
        page(OPERATOR), form={"outcome": "reject", "reason": "驳回"}
    ),
    "POST /admin/after-sales/{request_id}/payout": Entry(
        page(OPERATOR), form={"bank_reference": "HX-0001"}
    ),
    # --- reviews: the buyer of a parcel, the reviewed supplier, operators; reading is public --
    "POST /api/v1/fulfillments/{fulfillment_id}/reviews": Entry(
        CONSUMER, json={"items": [{"order_line_id": 1, "rating": 5, "text": "好"}]}
    ),
    "GET /api/v1/products/{product_id}/reviews": Entry(EVERYONE),
    "POST /api/v1/reviews/{review_id}/reply": Entry(COOP_A, json={"text": "谢谢惠顾"}),
    "POST /api/v1/admin/reviews/{review_id}/hide": Entry(OPERATOR, json={"reason": "含广告"}),
    "POST /orders/{order_id}/fulfillments/{fulfillment_id}/reviews": Entry(page(CONSUMER)),
    "GET /admin/reviews": Entry(page(OPERATOR)),
    "POST /admin/reviews/{review_id}/hide": Entry(page(OPERATOR), form={"reason": "含广告"}),
    "GET /coop/{cooperative_id}/reviews": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/reviews/{review_id}/reply": Entry(
        page(COOP_A), form={"text": "谢谢惠顾"}
    ),
    # --- traceability: a supplier's batches; the trace of a code is public --------------------
    "POST /api/v1/cooperatives/{cooperative_id}/batches": Entry(
        COOP_A,
        json=lambda ids: {
            "product_id": ids["product_id"],
            "harvested_on": "2026-10-01",
            "quantity": 100,
            "unit": "kg",
        },
    ),
    "GET /api/v1/cooperatives/{cooperative_id}/batches": Entry(COOP_A),
    "GET /api/v1/trace/{code}": Entry(EVERYONE, params={"code": "batch_code"}),
    "GET /trace/{code}": Entry(EVERYONE, params={"code": "batch_code"}),
    "GET /trace/{code}.svg": Entry(EVERYONE, params={"code": "batch_code"}),
    "GET /coop/{cooperative_id}/batches": Entry(page(COOP_A)),
    "POST /coop/{cooperative_id}/batches": Entry(page(COOP_A)),
    # --- payments ---------------------------------------------------------------------------
    "POST /api/v1/payments/stripe/webhook": Entry(EVERYONE),  # Stripe's signature, not a role
    "POST /api/v1/admin/orders/{order_id}/confirm-payment": Entry(OPERATOR),
    "POST /api/v1/admin/orders/{order_id}/refunds": Entry(OPERATOR),
    "GET /api/v1/admin/orders/{order_id}/refunds": Entry(OPERATOR),
    "GET /api/v1/admin/payments": Entry(OPERATOR),
    "GET /orders/{order_id}/pay": Entry(page(CONSUMER)),
    "POST /api/v1/orders/{order_id}/payment-method": Entry(
        CONSUMER, json={"payment_method": "bank_transfer"}
    ),
    "POST /orders/{order_id}/payment-method": Entry(
        page(CONSUMER), form={"payment_method": "bank_transfer"}
    ),
    "POST /api/v1/orders/{order_id}/remittance": Entry(CONSUMER),
    "POST /orders/{order_id}/remittance": Entry(page(CONSUMER)),
    "GET /orders/{order_id}/remittance-slip": Entry(page(CONSUMER)),
    "GET /api/v1/admin/orders/{order_id}/remittance-slip": Entry(OPERATOR),
    "GET /admin/transfers/{order_id}/slip": Entry(page(OPERATOR)),
    "GET /admin/payments": Entry(page(OPERATOR)),
    "GET /admin/transfers": Entry(page(OPERATOR)),
    "POST /admin/transfers/{order_id}/confirm": Entry(page(OPERATOR)),
    "GET /admin/orders/{order_id}/refund": Entry(page(OPERATOR)),
    "POST /admin/orders/{order_id}/refund": Entry(page(OPERATOR)),
    # --- bulk orders (gift orders go here too) ----------------------------------------------
    "POST /api/v1/organizations/{organization_id}/bulk-orders": Entry(ORG_A_DRAFTERS, files=_FILE),
    "GET /api/v1/organizations/{organization_id}/bulk-orders": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}.xlsx": Entry(ORG_A),
    "DELETE /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}": Entry(
        ORG_A_DRAFTERS
    ),
    "PUT /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/file": Entry(
        ORG_A_DRAFTERS, files=_FILE
    ),
    "POST /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/recheck": Entry(
        ORG_A_DRAFTERS
    ),
    "POST /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/submit": Entry(
        ORG_A_DRAFTERS, json=submit_body()
    ),
    "POST /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/approve": Entry(
        ORG_A_APPROVERS
    ),
    "POST /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/reject": Entry(
        ORG_A_APPROVERS, json={"comment": "数量不对"}
    ),
    "POST /api/v1/organizations/{organization_id}/orders/{order_id}/reorder": Entry(
        ORG_A_DRAFTERS, params={"order_id": "org_order_id"}
    ),
    "GET /api/v1/organizations/{organization_id}/orders/{order_id}.xlsx": Entry(
        ORG_A, params={"order_id": "org_order_id"}
    ),
    "GET /org/{organization_id}/bulk-orders": Entry(page(ORG_A)),
    "GET /org/{organization_id}/bulk-orders/template.{kind}": Entry(page(ORG_A)),
    "POST /org/{organization_id}/bulk-orders": Entry(page(ORG_A_DRAFTERS), files=_FILE),
    "GET /org/{organization_id}/bulk-orders/{bulk_order_id}": Entry(page(ORG_A)),
    "GET /org/{organization_id}/bulk-orders/{bulk_order_id}.xlsx": Entry(page(ORG_A)),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/file": Entry(
        page(ORG_A_DRAFTERS), files=_FILE
    ),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/recheck": Entry(page(ORG_A_DRAFTERS)),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/delete": Entry(page(ORG_A_DRAFTERS)),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/submit": Entry(
        page(ORG_A_DRAFTERS), form={**address(), "payment_method": "bank_transfer"}
    ),
    "GET /org/{organization_id}/approvals": Entry(page(ORG_A)),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/approve": Entry(page(ORG_A_APPROVERS)),
    "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/reject": Entry(
        page(ORG_A_APPROVERS), form={"comment": "数量不对"}
    ),
    # --- gift orders: as bulk orders (their pages name the gift `bulk_order_id`) -------------
    "POST /api/v1/organizations/{organization_id}/gift-orders": Entry(
        ORG_A_DRAFTERS, form=_gift_items, files=_RECIPIENTS
    ),
    "GET /api/v1/organizations/{organization_id}/gift-orders": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/gift-orders/template.{kind}": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/recipients.xlsx": (
        Entry(ORG_A)
    ),
    "PUT /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/recipients": Entry(
        ORG_A_DRAFTERS, files=_RECIPIENTS
    ),
    "POST /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/recheck": Entry(
        ORG_A_DRAFTERS
    ),
    "DELETE /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}": Entry(
        ORG_A_DRAFTERS
    ),
    "POST /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/submit": Entry(
        ORG_A_DRAFTERS, json=submit_body()
    ),
    "POST /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/approve": Entry(
        ORG_A_APPROVERS
    ),
    "POST /api/v1/organizations/{organization_id}/gift-orders/{gift_order_id}/reject": Entry(
        ORG_A_APPROVERS, json={"comment": "名单不全"}
    ),
    "GET /org/{organization_id}/gift-orders": Entry(page(ORG_A)),
    "GET /org/{organization_id}/gift-orders/template.{kind}": Entry(page(ORG_A)),
    "POST /org/{organization_id}/gift-orders": Entry(
        page(ORG_A_DRAFTERS), form=_gift_items, files=_RECIPIENTS
    ),
    "GET /org/{organization_id}/gift-orders/{bulk_order_id}": Entry(page(ORG_A), params=_GIFT),
    "GET /org/{organization_id}/gift-orders/{bulk_order_id}/recipients.xlsx": Entry(
        page(ORG_A), params=_GIFT
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/recipients": Entry(
        page(ORG_A_DRAFTERS), params=_GIFT, files=_RECIPIENTS
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/recheck": Entry(
        page(ORG_A_DRAFTERS), params=_GIFT
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/delete": Entry(
        page(ORG_A_DRAFTERS), params=_GIFT
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/submit": Entry(
        page(ORG_A_DRAFTERS),
        params=_GIFT,
        form={**address(), "payment_method": "bank_transfer"},
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/approve": Entry(
        page(ORG_A_APPROVERS), params=_GIFT
    ),
    "POST /org/{organization_id}/gift-orders/{bulk_order_id}/reject": Entry(
        page(ORG_A_APPROVERS), params=_GIFT, form={"comment": "名单不全"}
    ),
    "GET /org/{organization_id}/orders": Entry(page(ORG_A)),
    "GET /org/{organization_id}/orders/{order_id}.xlsx": Entry(
        page(ORG_A), params={"order_id": "org_order_id"}
    ),
    "POST /org/{organization_id}/orders/{order_id}/reorder": Entry(
        page(ORG_A_DRAFTERS), params={"order_id": "org_order_id"}
    ),
    # --- impact -----------------------------------------------------------------------------
    "GET /api/v1/impact/summary": Entry(EVERYONE),
    "GET /api/v1/impact/key-assistance": Entry(EVERYONE),
    "GET /api/v1/impact/key-assistance.csv": Entry(EVERYONE),
    "GET /api/v1/impact/key-assistance.xlsx": Entry(EVERYONE),
    "GET /api/v1/impact/pairings": Entry(EVERYONE),
    "GET /api/v1/impact/pairings.csv": Entry(EVERYONE),
    "GET /api/v1/impact/pairings.xlsx": Entry(EVERYONE),
    "GET /api/v1/impact/counties/{code}": Entry(EVERYONE),
    "GET /api/v1/impact/organizations/{organization_id}": Entry(ORG_A),
    "GET /impact": Entry(EVERYONE),
    "GET /impact/counties/{code}/box": Entry(EVERYONE),
    "GET /impact/region": Entry(page(OFFICIAL)),
    # A buyer's own purchases (我的帮扶): every signed-in user sees only their own.
    "GET /api/v1/me/impact": Entry(SIGNED_IN),
    "GET /account/impact": Entry(page(SIGNED_IN)),
    # --- brands (regional public brands) ------------------------------------------------------
    "POST /api/v1/admin/brands": Entry(
        OPERATOR,
        json={
            "name": "矩阵品牌",
            "slug": "matrix-brand",
            "county_codes": ["522732"],
            "owner": "协会",
        },
    ),
    "PATCH /api/v1/admin/brands/{brand_id}": Entry(OPERATOR, json={"story": "品牌故事"}),
    "POST /api/v1/admin/brands/{brand_id}/logo": Entry(
        OPERATOR, files={"file": ("logo.png", png_bytes(), "image/png")}
    ),
    "GET /api/v1/brands": Entry(EVERYONE),
    "GET /api/v1/brands/{slug}": Entry(EVERYONE, params={"slug": "brand_slug"}),
    "GET /brands": Entry(EVERYONE),
    "GET /brands/{slug}": Entry(EVERYONE, params={"slug": "brand_slug"}),
    "GET /admin/brands": Entry(page(OPERATOR)),
    "POST /admin/brands": Entry(
        page(OPERATOR),
        form={"name": "页面品牌", "slug": "page-brand", "counties": "522732", "owner": "协会"},
    ),
    "GET /admin/brands/{brand_id}": Entry(page(OPERATOR)),
    "POST /admin/brands/{brand_id}": Entry(
        page(OPERATOR),
        form={
            "name": "矩阵品牌二",
            "slug": "matrix-brand-2",
            "counties": "522732",
            "owner": "协会",
        },
    ),
    # --- proof ------------------------------------------------------------------------------
    "GET /api/v1/organizations/{organization_id}/orders/{order_id}/certificate": Entry(
        ORG_A, params={"order_id": "org_order_id"}
    ),
    "GET /api/v1/organizations/{organization_id}/statements/{year}": Entry(ORG_A),
    "GET /api/v1/organizations/{organization_id}/statements/{year}.xlsx": Entry(ORG_A),
    "GET /org/{organization_id}/statements": Entry(page(ORG_A)),
    "GET /org/{organization_id}/statements/{year}": Entry(page(ORG_A)),
    "GET /org/{organization_id}/statements/{year}.xlsx": Entry(page(ORG_A)),
    "GET /org/{organization_id}/orders/{order_id}/certificate": Entry(
        page(ORG_A), params={"order_id": "org_order_id"}
    ),
    # --- operator tools ---------------------------------------------------------------------
    "GET /api/v1/admin/audit": Entry(OPERATOR),
    "GET /admin/audit": Entry(page(OPERATOR)),
}

# Paths that pair a scope of A with something that is not in it (B's, or another buyer's): A's
# own members, who may act in the scope, get 404 for it all the same. (role, route, entry)
CROSS_TENANT: list[tuple[str, str, Entry]] = [
    # cooperatives and their catalog
    ("coop_a", "PATCH /api/v1/cooperatives/{cooperative_id}/members/{user_id}",
     Entry(EVERYONE, params={"user_id": "coop_b_member"}, json={"role": "member"})),
    ("coop_a", "DELETE /api/v1/cooperatives/{cooperative_id}/members/{user_id}",
     Entry(EVERYONE, params={"user_id": "coop_b_member"})),
    ("coop_a", "DELETE /api/v1/cooperatives/{cooperative_id}/invitations/{invitation_id}",
     Entry(EVERYONE)),  # organisation A's invitation
    ("coop_a", "DELETE /api/v1/products/{product_id}/photos/{photo_id}",
     Entry(EVERYONE, params={"photo_id": "photo_b"})),
    ("coop_a", "POST /api/v1/fulfillments/{fulfillment_id}/accept",
     Entry(EVERYONE, params={"fulfillment_id": "fulfillment_b"})),
    ("coop_a", "GET /coop/{cooperative_id}/products/{product_id}/edit",
     Entry(EVERYONE, params={"product_id": "product_b"})),
    ("coop_a", "POST /coop/{cooperative_id}/products/{product_id}/edit",
     Entry(EVERYONE, params={"product_id": "product_b"}, form={"title": "别人的产品"})),
    ("coop_a", "POST /coop/{cooperative_id}/products/{product_id}/skus",
     Entry(EVERYONE, params={"product_id": "product_b"})),
    ("coop_a", "POST /coop/{cooperative_id}/products/{product_id}/skus/{sku_id}",
     Entry(EVERYONE, params={"sku_id": "sku_b"}, form={"price_yuan": "10", "stock": "5"})),
    ("coop_a", "POST /coop/{cooperative_id}/products/{product_id}/photos",
     Entry(EVERYONE, params={"product_id": "product_b"}, files=_PHOTO)),
    ("coop_a", "POST /coop/{cooperative_id}/products/{product_id}/photos/{photo_id}/delete",
     Entry(EVERYONE, params={"photo_id": "photo_b"})),
    ("coop_a", "POST /coop/{cooperative_id}/certificates/{certificate_id}/scan",
     Entry(EVERYONE, params={"certificate_id": "certificate_b"}, files=_PHOTO)),
    ("coop_a", "POST /coop/{cooperative_id}/fulfillments/{fulfillment_id}/accept",
     Entry(EVERYONE, params={"fulfillment_id": "fulfillment_b"})),
    ("coop_a", "POST /api/v1/reviews/{review_id}/reply",
     Entry(EVERYONE, params={"review_id": "review_b"}, json={"text": "谢谢"})),
    ("coop_a", "POST /coop/{cooperative_id}/reviews/{review_id}/reply",
     Entry(EVERYONE, params={"review_id": "review_b"}, form={"text": "谢谢"})),
    ("coop_a", "POST /coop/{cooperative_id}/fulfillments/{fulfillment_id}/ship",
     Entry(EVERYONE, params={"fulfillment_id": "fulfillment_b"},
           form={"carrier": "顺丰速运", "tracking_number": "SF1234567890"})),
    ("coop_a", "POST /coop/{cooperative_id}/members/{member_id}/role",
     Entry(EVERYONE, params={"member_id": "coop_b_member"}, form={"role": "member"})),
    ("coop_a", "POST /coop/{cooperative_id}/members/{member_id}/remove",
     Entry(EVERYONE, params={"member_id": "coop_b_member"})),
    ("coop_a", "POST /coop/{cooperative_id}/invitations/{invitation_id}/revoke",
     Entry(EVERYONE)),  # organisation A's invitation
    # after-sales: another buyer's request, to cooperative B
    ("coop_a", "POST /api/v1/after-sales/{request_id}/accept",
     Entry(EVERYONE, params={"request_id": "request_b"})),
    ("coop_a", "POST /coop/{cooperative_id}/after-sales/{request_id}/reject",
     Entry(EVERYONE, params={"request_id": "request_b"}, form={"reason": "不同意"})),
    ("consumer", "POST /api/v1/after-sales/{request_id}/escalate",
     Entry(EVERYONE, params={"request_id": "request_b"})),
    ("consumer", "POST /orders/{order_id}/after-sales/{request_id}/escalate",
     Entry(EVERYONE, params={"request_id": "request_b"})),
    # organisations
    ("admin_a", "PATCH /api/v1/organizations/{organization_id}/members/{user_id}",
     Entry(EVERYONE, params={"user_id": "org_b_member"}, json={"role": "buyer"})),
    ("admin_a", "DELETE /api/v1/organizations/{organization_id}/members/{user_id}",
     Entry(EVERYONE, params={"user_id": "org_b_member"})),
    ("admin_a", "DELETE /api/v1/organizations/{organization_id}/invitations/{invitation_id}",
     Entry(EVERYONE, params={"invitation_id": "coop_invitation_id"})),
    ("admin_a", "POST /org/{organization_id}/members/{member_id}/role",
     Entry(EVERYONE, params={"member_id": "org_b_member"}, form={"role": "buyer"})),
    ("admin_a", "POST /org/{organization_id}/members/{member_id}/remove",
     Entry(EVERYONE, params={"member_id": "org_b_member"})),
    ("admin_a", "POST /org/{organization_id}/invitations/{invitation_id}/revoke",
     Entry(EVERYONE, params={"invitation_id": "coop_invitation_id"})),
    # bulk orders and the organisation's orders
    ("admin_a", "GET /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"})),
    ("buyer_a", "POST /api/v1/organizations/{organization_id}/bulk-orders/{bulk_order_id}/submit",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"}, json=submit_body())),
    ("admin_a", "GET /org/{organization_id}/bulk-orders/{bulk_order_id}",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"})),
    ("admin_a", "GET /org/{organization_id}/bulk-orders/{bulk_order_id}.xlsx",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"})),
    ("buyer_a", "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/delete",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"})),
    ("approver_a", "POST /org/{organization_id}/bulk-orders/{bulk_order_id}/approve",
     Entry(EVERYONE, params={"bulk_order_id": "bulk_order_b"})),
    # the consumer's order, asked for through organisation A
    ("buyer_a", "GET /api/v1/organizations/{organization_id}/orders/{order_id}/certificate",
     Entry(EVERYONE)),
    ("buyer_a", "POST /api/v1/organizations/{organization_id}/orders/{order_id}/reorder",
     Entry(EVERYONE)),
    ("buyer_a", "GET /api/v1/organizations/{organization_id}/orders/{order_id}.xlsx",
     Entry(EVERYONE)),
    ("buyer_a", "GET /org/{organization_id}/orders/{order_id}.xlsx", Entry(EVERYONE)),
    ("buyer_a", "GET /org/{organization_id}/orders/{order_id}/certificate", Entry(EVERYONE)),
    ("buyer_a", "POST /org/{organization_id}/orders/{order_id}/reorder", Entry(EVERYONE)),
    # another buyer's fulfilment, through the consumer's own order
    ("consumer", "POST /api/v1/fulfillments/{fulfillment_id}/confirm-receipt",
     Entry(EVERYONE, params={"fulfillment_id": "fulfillment_b"})),
    ("consumer", "POST /orders/{order_id}/fulfillments/{fulfillment_id}/confirm-receipt",
     Entry(EVERYONE, params={"fulfillment_id": "fulfillment_b"})),
]  # fmt: skip
