"""Errors of the catalog domain, each with its HTTP status and snake_case code."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound, ValidationFailed


class ProductNotFound(NotFound):
    """No such product, or one the caller may not see (someone else's, or not listed)."""

    code = "product_not_found"

    def __init__(self, product: int | str) -> None:
        super().__init__(f"No product {product}.")


class SkuNotFound(NotFound):
    code = "sku_not_found"

    def __init__(self, sku_id: int) -> None:
        super().__init__(f"No SKU with id {sku_id}.")


class PhotoNotFound(NotFound):
    code = "photo_not_found"

    def __init__(self, photo_id: int) -> None:
        super().__init__(f"No photo with id {photo_id}.")


class SkuCodeTaken(Conflict):
    """SKU codes are unique across the platform: bulk orders name SKUs by code."""

    code = "sku_code_taken"

    def __init__(self, sku_code: str, *, field: str) -> None:
        super().__init__(
            f"The SKU code {sku_code} is already used.", fields={field: "already used"}
        )


class TooManyPhotos(Conflict):
    code = "too_many_photos"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"A product has at most {limit} photos; delete one first.",
            fields={"file": f"at most {limit} photos"},
        )


class ProductNeedsSku(ValidationFailed):
    """A product is listed only with something to buy."""

    code = "sku_required"

    def __init__(self) -> None:
        super().__init__(
            "An active product needs at least one SKU.",
            fields={"skus": "at least one SKU is needed to publish"},
        )


class UnknownCategory(ValidationFailed):
    code = "unknown_category"

    def __init__(self, category: str, *, field: str = "category") -> None:
        super().__init__(f"No category {category!r}.", fields={field: "unknown category"})


class UnknownLabel(ValidationFailed):
    code = "unknown_label"

    def __init__(self, label: str) -> None:
        super().__init__(f"No label {label!r}.", fields={"label": "unknown label"})


class UnknownCounty(ValidationFailed):
    """A county filter that names no county."""

    code = "unknown_county"

    def __init__(self, county: str) -> None:
        super().__init__(f"No county has the code {county}.", fields={"county": "unknown county"})


class InvalidSearchQuery(ValidationFailed):
    """A query the search service cannot answer (field names as the listing's parameters)."""

    code = "invalid_search_query"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("The search query is invalid.", fields=fields or {"q": "invalid"})


class ProductNeedsPhoto(ValidationFailed):
    """Buyers judge farm goods by their photos: nothing is listed without one."""

    code = "photo_required"

    def __init__(self) -> None:
        super().__init__(
            "A product is published only with at least one photo: save it as a draft, "
            "add a photo, then publish it.",
            fields={"photos": "at least one photo is needed to publish"},
        )


class FoodLicenceInvalid(ValidationFailed):
    code = "food_licence_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"The food production licence number is invalid: {reason}.",
            fields={"food_licence_number": reason},
        )


class ProductNeedsFoodLicence(ValidationFailed):
    """Processed and packaged foods are sold only under a food production licence."""

    code = "food_licence_required"

    def __init__(self, category: str) -> None:
        super().__init__(
            f"Products of the category {category!r} are published only with their food "
            "production licence number (SC + 14 digits).",
            fields={"food_licence_number": "required to publish a product of this category"},
        )


class LastPhotoOfListedProduct(Conflict):
    code = "photo_required"

    def __init__(self) -> None:
        super().__init__(
            "A listed product keeps at least one photo: add another first, or unpublish it.",
            fields={"photo_id": "the listed product's only photo"},
        )


class BrandNotFound(NotFound):
    code = "brand_not_found"

    def __init__(self, brand: int | str) -> None:
        super().__init__(f"No brand {brand}.")


class UnknownBrand(ValidationFailed):
    """A product linked to a brand that does not exist."""

    code = "brand_not_found"

    def __init__(self, brand_id: int) -> None:
        super().__init__(f"No brand has the id {brand_id}.", fields={"brand_id": "unknown brand"})


class BrandRegionMismatch(ValidationFailed):
    """The product's county lies outside the brand's region."""

    code = "brand_region_mismatch"

    def __init__(self, brand: str, county_name: str) -> None:
        super().__init__(
            f"{county_name} is not in the region of the brand {brand}.",
            fields={"brand_id": "the product's county is outside the brand's region"},
        )


class BrandCertificateMissing(ValidationFailed):
    """The brand requires a certificate kind the product does not carry, valid and verified."""

    code = "brand_certificate_missing"

    def __init__(self, brand: str, kind: str) -> None:
        super().__init__(
            f"The brand {brand} requires a valid, verified {kind} certificate on the product.",
            fields={"brand_id": f"needs a valid {kind} certificate"},
        )


class BrandSlugTaken(Conflict):
    code = "brand_slug_taken"

    def __init__(self, slug: str) -> None:
        super().__init__(f"The slug {slug} is already used.", fields={"slug": "already used"})


class BrandNameTaken(Conflict):
    code = "brand_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"The brand {name} exists already.", fields={"name": "already used"})


class InvalidBrandCounties(ValidationFailed):
    code = "invalid_county_codes"

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("Some county codes are not counties of China.", fields=problems)


class UnknownBrandFilter(ValidationFailed):
    """A listing's brand filter that names no brand."""

    code = "unknown_brand"

    def __init__(self, slug: str) -> None:
        super().__init__(f"No brand {slug!r}.", fields={"brand": "unknown brand"})
