"""Region and pairing tables, filled from the reference data files."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, str_enum


class Province(Base):
    __tablename__ = "provinces"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # e.g. "450000"
    name: Mapped[str] = mapped_column(String(50))


class Prefecture(Base):
    __tablename__ = "prefectures"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # e.g. "450100"
    name: Mapped[str] = mapped_column(String(50))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)


class UnitKind(enum.StrEnum):
    COUNTY_LEVEL = "county_level"
    NBS_FUNCTIONAL_ZONE = "nbs_functional_zone"
    PREFECTURE_WITHOUT_COUNTIES = "prefecture_without_counties"


class County(Base):
    """A county-level division; `poverty_lifted` = one of the 832, `key_assistance` = of the 160."""

    __tablename__ = "counties"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    prefecture_code: Mapped[str] = mapped_column(ForeignKey("prefectures.code"), index=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    unit_kind: Mapped[UnitKind] = mapped_column(str_enum(UnitKind))
    poverty_lifted: Mapped[bool] = mapped_column(default=False)
    key_assistance: Mapped[bool] = mapped_column(default=False)
    poverty_exit_year: Mapped[int | None] = mapped_column(default=None)

    prefecture: Mapped[Prefecture] = relationship(lazy="raise")
    province: Mapped[Province] = relationship(lazy="raise")

    __table_args__ = (
        Index("ix_counties_province_code_poverty", "province_code", "poverty_lifted"),
    )


class PairingKind(enum.StrEnum):
    EAST_WEST = "east_west"
    COUNTERPART_SUPPORT = "counterpart_support"
    DESIGNATED = "designated"


class HelperKind(enum.StrEnum):
    PROVINCE = "province"
    ORGANIZATION = "organization"


class Pairing(Base):
    """A helper (province, or an organisation for `designated`) that helps an area.

    The helped area is a whole province unless `areas` names prefectures or counties.
    No `since`: in force from the start; no `until`: still in force.
    """

    __tablename__ = "pairings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[PairingKind] = mapped_column(str_enum(PairingKind))
    helper_kind: Mapped[HelperKind] = mapped_column(str_enum(HelperKind))
    helper_province_code: Mapped[str | None] = mapped_column(
        ForeignKey("provinces.code"), default=None
    )
    helper_organization_id: Mapped[int | None] = mapped_column(default=None, index=True)
    helper_area: Mapped[str | None] = mapped_column(String(100), default=None)
    helped_province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    helped_area: Mapped[str | None] = mapped_column(String(300), default=None)
    since: Mapped[date | None] = mapped_column(default=None)
    until: Mapped[date | None] = mapped_column(default=None)
    # Natural key of a reference-data row, so that reloading updates instead of duplicating.
    reference_key: Mapped[str | None] = mapped_column(String(200), default=None, unique=True)
    source: Mapped[str | None] = mapped_column(Text, default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)

    helper_province: Mapped[Province | None] = relationship(
        foreign_keys=[helper_province_code], lazy="raise"
    )
    helped_province: Mapped[Province] = relationship(
        foreign_keys=[helped_province_code], lazy="raise"
    )
    areas: Mapped[list[PairingArea]] = relationship(
        back_populates="pairing", lazy="raise", cascade="all, delete-orphan"
    )


class AreaKind(enum.StrEnum):
    PREFECTURE = "prefecture"
    COUNTY = "county"


class PairingArea(Base):
    """A prefecture or county that a pairing helps, when it helps less than a whole province."""

    __tablename__ = "pairing_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id", ondelete="CASCADE"))
    area_kind: Mapped[AreaKind] = mapped_column(str_enum(AreaKind, 20))
    code: Mapped[str] = mapped_column(String(6))

    pairing: Mapped[Pairing] = relationship(back_populates="areas", lazy="raise")

    __table_args__ = (UniqueConstraint("pairing_id", "code"),)
