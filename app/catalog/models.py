"""Catalog tables."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.certification.models import Certificate, CertificateKind
from app.cooperative.models import Cooperative
from app.core.db import Base, TimestampMixin, str_enum
from app.inventory.models import ProductStock, SkuStock


class Category(Base):
    """A product category (reference data, loaded by migration)."""

    __tablename__ = "categories"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)  # "fruit"
    name_zh: Mapped[str] = mapped_column(String(30))
    name_en: Mapped[str] = mapped_column(String(50))
    position: Mapped[int] = mapped_column(default=0)
    # Processed and packaged foods (粮油, 茶叶, 调味品, …) are made under a food production
    # licence (食品生产许可证, "SC" + 14 digits): their products are published only with one.
    # Fresh produce (食用农产品) needs none. Data, set by the migration that added it.
    requires_food_licence: Mapped[bool] = mapped_column(default=False)


class Brand(TimestampMixin, Base):
    """A regional public brand (区域公用品牌, 赣南脐橙): a name an association owns for the products
    of a region. Products of the region's counties may be sold under it; where the brand names
    a certificate kind, only while the product carries a valid, verified one of that kind."""

    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    story: Mapped[str] = mapped_column(Text, default="")  # plain text, paragraphs by blank lines
    owner: Mapped[str] = mapped_column(String(120))  # the association that owns the brand
    required_certificate_kind: Mapped[CertificateKind | None] = mapped_column(
        str_enum(CertificateKind, 20), default=None
    )
    logo_key: Mapped[str | None] = mapped_column(String(200), default=None)  # media storage key

    counties: Mapped[list[BrandCounty]] = relationship(
        lazy="raise", order_by="BrandCounty.county_code", cascade="all, delete-orphan"
    )


class BrandCounty(Base):
    """A county of a brand's region."""

    __tablename__ = "brand_counties"

    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)

    __table_args__ = (Index("ix_brand_counties_county_code", "county_code"),)


class ProductStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class Product(TimestampMixin, ProductStock):
    """A product of a supplier; `id` and `in_stock` are declared by the inventory (ProductStock)."""

    cooperative_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description_html: Mapped[str] = mapped_column(Text, default="")  # sanitised with nh3
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    unit: Mapped[str] = mapped_column(String(30))  # "5kg/箱"
    status: Mapped[ProductStatus] = mapped_column(
        str_enum(ProductStatus, 20), default=ProductStatus.DRAFT
    )
    # Months (1–12) in which the product is in season, e.g. "10,11,12"; empty = all year.
    season_months: Mapped[str] = mapped_column(String(40), default="")
    # Kept by the catalog service whenever SKUs change, so listings sort and filter without
    # aggregating SKUs: the lowest base price of the product's active SKUs.
    min_price_fen: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column(default=None)
    # What the label says (GB 7718): shelf life in days, storage conditions, and the food
    # production licence number where the category requires one (checked when published).
    shelf_life_days: Mapped[int | None] = mapped_column(
        CheckConstraint(
            "shelf_life_days IS NULL OR shelf_life_days BETWEEN 1 AND 3650",
            name="shelf_life_in_range",
        ),
        default=None,
    )
    storage_conditions: Mapped[str] = mapped_column(String(100), default="")
    food_licence_number: Mapped[str | None] = mapped_column(String(16), default=None)
    # Set when the price is far above the operator's reference price for its category/unit.
    price_flagged: Mapped[bool] = mapped_column(default=False)
    # Visible reviews' ratings, kept by the review domain in the same transaction as each
    # review (and hide), so that listings show and sort by the average without a join.
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The regional public brand (区域公用品牌) the supplier sells it under, if any.
    brand_id: Mapped[int | None] = mapped_column(
        ForeignKey("brands.id", ondelete="SET NULL"), default=None, index=True
    )

    cooperative: Mapped[Cooperative] = relationship(lazy="raise")
    category: Mapped[Category] = relationship(lazy="raise")
    brand: Mapped[Brand | None] = relationship(lazy="raise")
    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", lazy="raise", order_by="Sku.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[ProductPhoto]] = relationship(
        back_populates="product",
        lazy="raise",
        order_by="ProductPhoto.position",
        cascade="all, delete-orphan",
    )
    certificates: Mapped[list[Certificate]] = relationship(
        secondary="product_certificates", lazy="raise"
    )


# A class extending the inventory's table takes no __table_args__: its indexes are added here.
Index("ix_products_status_published", Product.status, Product.published_at)
Index("ix_products_cooperative_status", Product.cooperative_id, Product.status)
Index("ix_products_category_status", Product.category_code, Product.status)


class Sku(TimestampMixin, SkuStock):
    """A variant of a product. `product_id`, `stock` and `is_active` are declared by the
    inventory (SkuStock); once the SKU exists, its stock changes only through the inventory."""

    # A class extending the inventory's table takes no __table_args__: its checks sit on
    # their columns.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    price_fen: Mapped[int] = mapped_column(CheckConstraint("price_fen > 0", name="price_positive"))
    weight_grams: Mapped[int] = mapped_column(
        CheckConstraint("weight_grams >= 0", name="weight_not_negative"), default=0
    )
    min_qty: Mapped[int] = mapped_column(
        CheckConstraint("min_qty >= 1", name="min_qty_positive"), default=1
    )

    product: Mapped[Product] = relationship(back_populates="skus", lazy="raise")
    price_tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="sku",
        lazy="raise",
        order_by="PriceTier.min_qty",
        cascade="all, delete-orphan",
    )


class PriceTier(Base):
    """From `min_qty` units on, each unit costs `price_fen`."""

    __tablename__ = "price_tiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    min_qty: Mapped[int]
    price_fen: Mapped[int]

    sku: Mapped[Sku] = relationship(back_populates="price_tiers", lazy="raise")

    __table_args__ = (
        UniqueConstraint("sku_id", "min_qty"),
        CheckConstraint("price_fen > 0", name="price_positive"),
        CheckConstraint("min_qty >= 2", name="min_qty_above_one"),
    )


class ProductPhoto(Base):
    __tablename__ = "product_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(default=0)
    image_key: Mapped[str] = mapped_column(String(200))  # media storage key of the full image
    thumb_key: Mapped[str] = mapped_column(String(200))
    width: Mapped[int]
    height: Mapped[int]
    alt: Mapped[str] = mapped_column(String(200), default="")

    product: Mapped[Product] = relationship(back_populates="photos", lazy="raise")

    __table_args__ = (Index("ix_product_photos_product_position", "product_id", "position"),)


class ProductCertificate(Base):
    __tablename__ = "product_certificates"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificates.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_product_certificates_certificate_id", "certificate_id"),)


class ReferencePrice(Base):
    """An operator's market reference price for a category and unit; listings priced above
    `flag_ratio_bp` of it are flagged for review."""

    __tablename__ = "reference_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"))
    unit: Mapped[str] = mapped_column(String(30))
    price_fen: Mapped[int]
    flag_ratio_bp: Mapped[int] = mapped_column(default=15_000)  # 150 %

    __table_args__ = (UniqueConstraint("category_code", "unit"),)
