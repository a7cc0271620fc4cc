"""The reference files: counts, the 832/160 lists and the derived pairing areas."""

from __future__ import annotations

import csv
import subprocess
import sys

from app.config import PROJECT_ROOT
from app.regions.reference_data import (
    REFERENCE_DIR,
    UNRESOLVED_AREA,
    read_pairing_areas,
    read_reference_data,
)


def test_reference_files_live_in_the_project() -> None:
    assert REFERENCE_DIR == PROJECT_ROOT / "data" / "reference"
    for name in (
        "counties.csv",
        "poverty_counties_832.csv",
        "key_assistance_counties_160.csv",
        "pairings.csv",
        "pairing_areas.csv",
        "SOURCES.md",
    ):
        assert (REFERENCE_DIR / name).is_file(), name


def test_832_list_maps_to_831_current_counties() -> None:
    data = read_reference_data()
    assert len(data.counties) == 2978
    assert len(data.provinces) == 31
    assert len(data.poverty_exit_years) == 831
    # 冷湖 and 茫崖 行委 were merged into 茫崖市.
    assert data.poverty_exit_years["632803"] == 2019
    assert len(data.key_assistance_codes) == 94
    assert data.key_assistance_codes <= set(data.poverty_exit_years)


def test_pairings_have_unique_keys_and_years() -> None:
    data = read_reference_data()
    assert len(data.pairings) == 35
    assert len({p.key for p in data.pairings}) == 35
    by_key = {p.key: p for p in data.pairings}
    shenzhen = by_key["counterpart_support:440000:650000:深圳市"]
    assert shenzhen.helper_area == "深圳市"
    assert shenzhen.since is not None
    assert shenzhen.since.isoformat() == "2010-01-01"
    assert by_key["east_west:440000:450000"].since is None


def test_derived_pairing_areas_file_is_up_to_date() -> None:
    script = PROJECT_ROOT / "scripts" / "derive_pairing_areas.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_pairing_areas_resolve_renamed_units_and_leave_bingtuan_divisions_unresolved() -> None:
    areas = {(a.pairing_key, a.source_text): a for a in read_pairing_areas()}
    turpan = areas[("counterpart_support:430000:650000", "吐鲁番地区")]
    assert (turpan.area_kind, turpan.code, turpan.name) == ("prefecture", "650400", "吐鲁番市")
    hami = areas[("counterpart_support:410000:650000", "哈密地区")]
    assert (hami.area_kind, hami.code) == ("prefecture", "650500")
    aral = areas[("counterpart_support:330000:650000", "兵团农一师阿拉尔市")]
    assert (aral.area_kind, aral.code) == ("county", "659002")
    aksu = areas[("counterpart_support:330000:650000", "阿克苏地区(八县一市)")]
    assert (aksu.area_kind, aksu.code) == ("prefecture", "652900")
    division = areas[("counterpart_support:110000:650000", "兵团农十四师")]
    assert division.area_kind == UNRESOLVED_AREA
    assert division.code is None
    assert division.note
    assert "unresolved" in division.note
    shigatse = areas[("counterpart_support:310000:540000", "日喀则市 (定日县等)")]
    assert (shigatse.area_kind, shigatse.code) == ("prefecture", "540200")


def test_every_named_area_exists_in_counties_csv() -> None:
    with (REFERENCE_DIR / "counties.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counties = {r["code"]: r["name"] for r in rows}
    prefectures = {r["prefecture_code"]: r["prefecture_name"] for r in rows}
    for area in read_pairing_areas():
        if area.area_kind == "county":
            assert area.code is not None
            assert counties[area.code] == area.name
        elif area.area_kind == "prefecture":
            assert area.code is not None
            assert prefectures[area.code] == area.name
        else:
            assert area.area_kind == UNRESOLVED_AREA
