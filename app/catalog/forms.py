"""The supplier portal's product forms: typed text in, the API's input models (or errors) out.

Prices are typed in yuan and turned into fen exactly (Decimal, never float); errors are keyed by
the form's own field names, so that the templates show each next to its input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from app.catalog.schemas import ProductIn, ProductPatch, SkuIn, SkuPatch
from app.core.fields import parse_yuan

_WHOLE = re.compile(r"^[0-9]{1,9}$")
TIER_ROWS = 3

# API field (relative to one SKU) → the form's input name.
_SKU_FIELDS = {
    "code": "sku_code",
    "name": "sku_name",
    "price_fen": "sku_price",
    "stock": "sku_stock",
    "weight_grams": "sku_weight",
    "min_qty": "sku_min_qty",
}


@dataclass
class SkuForm:
    """What was typed into a SKU's fields, kept to show again after an error."""

    code: str = ""
    name: str = ""
    price: str = ""
    stock: str = "0"
    weight: str = "0"
    min_qty: str = "1"
    tier_min_qty: list[str] = field(default_factory=lambda: [""] * TIER_ROWS)
    tier_price: list[str] = field(default_factory=lambda: [""] * TIER_ROWS)


@dataclass
class ProductForm:
    title: str = ""
    category: str = ""
    unit: str = ""
    description: str = ""
    status: str = "draft"
    certificate_ids: list[str] = field(default_factory=list)
    season_months: list[str] = field(default_factory=list)
    shelf_life_days: str = ""
    storage_conditions: str = ""
    food_licence_number: str = ""
    brand_id: str = ""  # the edit form's only (a new product is linked once it exists)
    sku: SkuForm = field(default_factory=SkuForm)


@dataclass
class Parsed:
    """The model built from a form, or the problems (form field → reason) that stopped it."""

    model: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    # Which typed tier rows the model's tiers came from (empty rows are skipped), to place the
    # service's errors on "price_tiers.N" next to the right row.
    tier_rows: list[int] = field(default_factory=list)


def parse_whole(text: str) -> int | None:
    """A non-negative whole number typed with ASCII digits, else None."""
    cleaned = text.strip().replace(",", "")
    return int(cleaned) if _WHOLE.match(cleaned) else None


def _pydantic_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors():
        errors.setdefault(".".join(str(p) for p in error["loc"]), error["msg"])
    return errors


def sku_error_key(path: str, tier_rows: Sequence[int]) -> str:
    """The form field of an API error path relative to one SKU ("price_tiers.0.price_fen")."""
    parts = path.split(".")
    if parts[0] == "price_tiers" and len(parts) >= 2 and parts[1].isdigit():
        index = int(parts[1])
        row = tier_rows[index] if index < len(tier_rows) else index
        column = "price" if parts[-1] == "price_fen" else "min_qty"
        return f"tier_{column}.{row}"
    return _SKU_FIELDS.get(parts[0], parts[0])


def product_error_key(path: str, tier_rows: Sequence[int]) -> str:
    """The form field of an API error path of a product ("skus.0.price_fen" → "sku_price")."""
    parts = path.split(".")
    if parts[0] == "skus" and len(parts) >= 3:
        return sku_error_key(".".join(parts[2:]), tier_rows)
    if parts[0] == "skus":
        return "sku_code"
    return parts[0]


def _sku_values(form: SkuForm, errors: dict[str, str]) -> tuple[dict[str, Any], list[int]]:
    """The SKU's API values from its typed text, and which tier rows were filled."""
    values: dict[str, Any] = {"code": form.code.strip(), "name": form.name.strip()}
    price = parse_yuan(form.price)
    if price is None:
        errors["sku_price"] = "not an amount in yuan"
    values["price_fen"] = price
    for name, text in (("stock", form.stock), ("weight_grams", form.weight)):
        number = parse_whole(text or "0")
        if number is None:
            errors[_SKU_FIELDS[name]] = "not a whole number"
        values[name] = number
    min_qty = parse_whole(form.min_qty or "1")
    if min_qty is None:
        errors["sku_min_qty"] = "not a whole number"
    values["min_qty"] = min_qty
    tiers: list[dict[str, Any]] = []
    rows: list[int] = []
    for row, (qty_text, price_text) in enumerate(
        zip(form.tier_min_qty, form.tier_price, strict=False)
    ):
        if not qty_text.strip() and not price_text.strip():
            continue  # an empty row is no tier
        qty, tier_price = parse_whole(qty_text), parse_yuan(price_text)
        if qty is None:
            errors[f"tier_min_qty.{row}"] = "not a whole number"
        if tier_price is None:
            errors[f"tier_price.{row}"] = "not an amount in yuan"
        tiers.append({"min_qty": qty, "price_fen": tier_price})
        rows.append(row)
    values["price_tiers"] = tiers
    return values, rows


def _validate(model: type[BaseModel], values: Mapping[str, Any]) -> tuple[Any, dict[str, str]]:
    try:
        return model.model_validate(dict(values)), {}
    except ValidationError as exc:
        return None, _pydantic_errors(exc)


def _ids(texts: Sequence[str], errors: dict[str, str], key: str) -> list[int]:
    numbers = [parse_whole(t) for t in texts if t.strip()]
    if any(n is None for n in numbers):
        errors[key] = "not a list of ids"
    return [n for n in numbers if n is not None]


def _product_values(form: ProductForm, errors: dict[str, str]) -> dict[str, Any]:
    """The product's own API values (every field) from its typed text."""
    shelf_life: int | None = None
    if form.shelf_life_days.strip():
        shelf_life = parse_whole(form.shelf_life_days)
        if shelf_life is None:
            errors["shelf_life_days"] = "not a whole number"
    return {
        "title": form.title,
        "description": form.description,
        "category": form.category,
        "unit": form.unit,
        "status": form.status,
        "certificate_ids": _ids(form.certificate_ids, errors, "certificate_ids"),
        "season_months": _ids(form.season_months, errors, "season_months"),
        "shelf_life_days": shelf_life,
        "storage_conditions": form.storage_conditions,
        # Blank clears it; the service checks the number (422 food_licence_invalid).
        "food_licence_number": form.food_licence_number.strip() or None,
    }


def parse_new_product(form: ProductForm) -> Parsed:
    """The new-product form (product fields and its first SKU) as a ProductIn."""
    errors: dict[str, str] = {}
    sku_values, tier_rows = _sku_values(form.sku, errors)
    has_sku = any((form.sku.code.strip(), form.sku.name.strip(), form.sku.price.strip()))
    if not has_sku:
        errors = {k: v for k, v in errors.items() if not k.startswith(("sku_", "tier_"))}
    values = _product_values(form, errors)
    # A form left without its SKU fields makes a product without SKUs (a draft).
    values["skus"] = [sku_values] if has_sku else []
    if errors:
        return Parsed(errors=errors, tier_rows=tier_rows)
    model, problems = _validate(ProductIn, values)
    errors = {product_error_key(k, tier_rows): v for k, v in problems.items()}
    return Parsed(model, errors, tier_rows)


def parse_product_changes(form: ProductForm) -> Parsed:
    """The edit form's product fields as a ProductPatch (every field is sent)."""
    errors: dict[str, str] = {}
    values = _product_values(form, errors)
    values["brand_id"] = None  # "no brand" unlinks it
    if form.brand_id.strip():
        values["brand_id"] = parse_whole(form.brand_id)
        if values["brand_id"] is None:
            errors["brand_id"] = "not an id"
    if errors:
        return Parsed(errors=errors)
    model, problems = _validate(ProductPatch, values)
    return Parsed(model, {k.split(".")[0]: v for k, v in problems.items()})


def parse_new_sku(form: SkuForm) -> Parsed:
    """The add-SKU form as a SkuIn."""
    errors: dict[str, str] = {}
    values, tier_rows = _sku_values(form, errors)
    if errors:
        return Parsed(errors=errors, tier_rows=tier_rows)
    model, problems = _validate(SkuIn, values)
    return Parsed(model, {sku_error_key(k, tier_rows): v for k, v in problems.items()}, tier_rows)


def parse_quick_edit(price: str, stock: str) -> Parsed:
    """A SKU's price (yuan) and stock row as a SkuPatch."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    if price.strip():
        values["price_fen"] = parse_yuan(price)
        if values["price_fen"] is None:
            errors["price"] = "not an amount in yuan"
    if stock.strip():
        values["stock"] = parse_whole(stock)
        if values["stock"] is None:
            errors["stock"] = "not a whole number"
    if errors:
        return Parsed(errors=errors)
    model, problems = _validate(SkuPatch, values)
    keys = {"price_fen": "price", "stock": "stock"}
    return Parsed(model, {keys.get(k.split(".")[0], "price"): v for k, v in problems.items()})
