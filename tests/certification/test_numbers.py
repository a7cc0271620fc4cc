"""Certificate number formats: normalisation and the per-kind rules, good and bad."""

from __future__ import annotations

import typing

import pytest

from app.certification.models import CertificateKind, CertificateStatus
from app.certification.numbers import (
    EXPECTED_FORMAT,
    MAX_INPUT_LENGTH,
    checked_number,
    normalize_number,
    number_problem,
)
from app.certification.schemas import KindName, StatusName

GI = CertificateKind.GI
GREEN = CertificateKind.GREEN_FOOD
ORGANIC = CertificateKind.ORGANIC


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("AGI00122", "AGI00122"),
        ("  agi00122 \n", "AGI00122"),
        ("ＡＧＩ００１２２", "AGI00122"),  # full-width letters and digits
        ("ｌｂ－１５－１８０６０４０６５９ａ", "LB-15-1806040659A"),  # full-width hyphen
        ("LB—15–1806040659A", "LB-15-1806040659A"),  # em and en dashes
        ("001op21\u300012345", "001OP2112345"),  # ideographic space inside
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_number(raw) == expected


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (GI, "AGI00122"),
        (GI, "AGI00146"),
        (GI, "AGI99999"),
        (GREEN, "LB-15-1806040659A"),
        (GREEN, "LB-18-2101012345AA"),
        (GREEN, "LB-01-9912310001A"),
        (ORGANIC, "001OP2112345"),
        (ORGANIC, "227OP1900001"),
    ],
)
def test_good_numbers(kind: CertificateKind, number: str) -> None:
    assert number_problem(kind, number) is None
    assert checked_number(kind, number) == (number, None)


@pytest.mark.parametrize(
    ("kind", "raw", "normalized"),
    [
        (GI, " agi00122", "AGI00122"),
        (GREEN, "lb-18-2101012345aa", "LB-18-2101012345AA"),
        (ORGANIC, "００１ＯＰ２１１２３４５", "001OP2112345"),
    ],
)
def test_checked_number_normalizes_what_people_type(
    kind: CertificateKind, raw: str, normalized: str
) -> None:
    assert checked_number(kind, raw) == (normalized, None)


@pytest.mark.parametrize(
    ("kind", "number"),
    [
        (GI, ""),
        (GI, "AGI0012"),  # 4 digits
        (GI, "AGI001222"),  # 6 digits
        (GI, "AG100122"),
        (GI, "GI00122"),
        (GI, "AGI-00122"),
        (GI, "AGI0012X"),
        (GI, "AGI٠٠١٢٢"),  # Arabic-Indic digits are not digits here
        (GI, "LB-15-1806040659A"),  # another kind's number
        (GREEN, "LB-15-1806040659"),  # no grade
        (GREEN, "LB-15-1806040659B"),  # unknown grade
        (GREEN, "LB-15-1806040659AAA"),
        (GREEN, "LB-15-1800040659A"),  # month 00
        (GREEN, "LB-15-1813040659A"),  # month 13
        (GREEN, "LB-15-180604065A"),  # 9 digits
        (GREEN, "LB-15-18060406590A"),  # 11 digits
        (GREEN, "LB-1-1806040659A"),  # 1-digit class
        (GREEN, "LB15-1806040659A"),
        (GREEN, "LB-15-1806040659 A-"),
        (GREEN, "AGI00122"),
        (ORGANIC, "01OP2112345"),  # 2-digit certifier
        (ORGANIC, "001OP211234"),  # 4-digit serial
        (ORGANIC, "001OP21123456"),
        (ORGANIC, "001PO2112345"),
        (ORGANIC, "001OP2X12345"),
        (ORGANIC, "OP2112345"),
    ],
)
def test_bad_numbers_say_the_expected_format(kind: CertificateKind, number: str) -> None:
    problem = number_problem(kind, normalize_number(number))
    assert problem == EXPECTED_FORMAT[kind]
    assert checked_number(kind, number)[1] == EXPECTED_FORMAT[kind]


def test_each_kind_names_its_own_format() -> None:
    assert "AGI" in EXPECTED_FORMAT[GI] and "AGI00122" in EXPECTED_FORMAT[GI]
    assert "LB-" in EXPECTED_FORMAT[GREEN] and " A or AA" in EXPECTED_FORMAT[GREEN]
    assert "01-12" in EXPECTED_FORMAT[GREEN]
    assert "OP" in EXPECTED_FORMAT[ORGANIC] and "001OP2112345" in EXPECTED_FORMAT[ORGANIC]
    assert set(EXPECTED_FORMAT) == set(CertificateKind)


def test_very_long_input_is_refused_without_normalizing_it() -> None:
    raw = "AGI00122" + " " * MAX_INPUT_LENGTH
    number, problem = checked_number(GI, raw)
    assert problem == EXPECTED_FORMAT[GI]
    assert len(number) == MAX_INPUT_LENGTH


def test_input_of_exactly_the_limit_is_checked_and_one_more_is_refused() -> None:
    assert MAX_INPUT_LENGTH == 100
    padded = " AGI00122" + " " * (MAX_INPUT_LENGTH - 9)
    assert len(padded) == 100
    assert checked_number(GI, padded) == ("AGI00122", None)
    longer = padded + " "
    assert checked_number(GI, longer) == (longer[:100], EXPECTED_FORMAT[GI])


def test_schema_literals_match_the_model_enums() -> None:
    # schemas.py cannot import models.py (layers), so its literals must be kept in step.
    assert set(typing.get_args(KindName)) == {k.value for k in CertificateKind}
    assert set(typing.get_args(StatusName)) == {s.value for s in CertificateStatus}
