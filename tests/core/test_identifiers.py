"""Unified social credit codes (GB 32100-2015) and mainland phone numbers."""

from __future__ import annotations

import re
import string
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.identifiers import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_REASONS,
    CreditCodeError,
    credit_code_check_char,
    make_credit_code,
    normalize_landline,
    normalize_mobile,
    normalize_phone,
    org_code_check_char,
    parse_credit_code,
)

# Published codes of well-known registrants, and the worked example of this module's tests.
PUBLISHED = [
    "91350100M000100Y43",  # the example printed in GB 32100-2015
    "9144030071526726XG",  # 深圳市腾讯计算机系统有限公司
    "91330100716105852F",
    "91110000802100433B",
]
# 93 (market regulation, farmers' cooperative), 450126 (宾阳县), body MA5KX0Y1, computed below.
WORKED = "93450126MA5KX0Y19J"
VALID = [*PUBLISHED, WORKED]


def test_worked_example_by_hand() -> None:
    # Organisation code: GB 11714 values M=22 A=10 5 K=20 X=33 0 Y=34 1,
    # weights 3 7 9 10 5 8 4 2 → 66+70+45+200+165+0+136+2 = 684; 684 mod 11 = 2; 11-2 = 9.
    assert org_code_check_char("MA5KX0Y1") == "9"
    # Credit code: charset values 9 3 4 5 0 1 2 6 M=21 A=10 5 K=19 X=29 0 Y=30 1 9,
    # weighted sum 2245; 2245 mod 31 = 13; 31-13 = 18 → the 18th character "J".
    assert credit_code_check_char("93450126MA5KX0Y19") == "J"
    assert make_credit_code("93", "450126", "MA5KX0Y1") == WORKED


@pytest.mark.parametrize("code", VALID)
def test_valid_codes_parse(code: str) -> None:
    parsed = parse_credit_code(code)

    assert parsed.code == code
    assert parsed.prefix == code[:2]
    assert parsed.authority == code[0]
    assert parsed.org_type == code[1]
    assert parsed.region_code == code[2:8]
    assert parsed.org_code == code[8:17]


def test_parsed_parts_of_the_worked_example() -> None:
    parsed = parse_credit_code(WORKED)
    assert (parsed.prefix, parsed.region_code, parsed.org_code) == ("93", "450126", "MA5KX0Y19")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("93450126ma5kx0y19j", WORKED),
        ("  93450126MA5KX0Y19J\n", WORKED),
        ("934501 26MA5K X0Y19J", WORKED),
        ("９３４５０１２６ＭＡ５ＫＸ０Ｙ１９Ｊ", WORKED),  # full-width, as some IMEs type it
        ("9144030071526726xg", "9144030071526726XG"),
    ],
)
def test_input_is_normalised(raw: str, expected: str) -> None:
    assert parse_credit_code(raw).code == expected


@pytest.mark.parametrize("code", VALID)
def test_every_single_character_corruption_fails(code: str) -> None:
    outsiders = "IOZSV-*中 "
    tried = 0
    for position in range(18):
        for replacement in CREDIT_CODE_CHARSET + outsiders:
            if replacement == code[position]:
                continue
            corrupted = code[:position] + replacement + code[position + 1 :]
            if replacement == " ":  # a space is dropped, which leaves a 17-character code
                corrupted = code[:position] + code[position + 1 :]
            with pytest.raises(CreditCodeError) as caught:
                parse_credit_code(corrupted)
            assert caught.value.reason in CREDIT_CODE_REASONS
            tried += 1
    assert tried == 18 * (len(CREDIT_CODE_CHARSET) - 1 + len(outsiders))


@pytest.mark.parametrize("code", VALID)
def test_every_transposition_of_different_characters_fails(code: str) -> None:
    # Among the 17 weighted positions: the weights 3^k mod 31 are distinct and 31 is prime,
    # so a swap of two different characters always changes the sum mod 31.
    for i in range(17):
        for j in range(i + 1, 17):
            if code[i] == code[j]:
                continue
            swapped = list(code)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            with pytest.raises(CreditCodeError) as caught:
                parse_credit_code("".join(swapped))
            assert caught.value.reason in {"region", "org_code_check", "check_character"}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "length"),
        ("93450126MA5KX0Y19", "length"),
        ("93450126MA5KX0Y19JJ", "length"),
        ("93450126MA5KX0Y19J" * 2, "length"),
        ("93450126MA5KI0Y19J", "charset"),  # I
        ("93450126MA5KO0Y19J", "charset"),  # O
        ("93450126MA5KZ0Y19J", "charset"),  # Z
        ("93450126MA5KS0Y19J", "charset"),  # S
        ("93450126MA5KV0Y19J", "charset"),  # V
        ("93450126MA5K_0Y19J", "charset"),
        ("9345012GMA5KX0Y19J", "region"),  # a letter in the region code
        ("93990126MA5KX0Y19J", "region"),  # 99 is no province
        ("93450126MA5KX0Y18J", "org_code_check"),
        ("93450126MA5KX0Y19K", "check_character"),
    ],
)
def test_reasons_name_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason.replace("_", " ")) as caught:
        parse_credit_code(raw)
    assert isinstance(caught.value, CreditCodeError)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "length: a credit code has 18 characters, not 0"),
        ("93450126MA5KX0Y19JJ", "length: a credit code has 18 characters, not 19"),
        (
            "93450126MA5KZ0Y1OJ",
            "charset: not allowed in a credit code: 'O', 'Z' "
            "(only digits and capital letters except I, O, Z, S, V)",
        ),
        (
            "93990126MA5KX0Y19J",
            "region: positions 3–8 (990126) are not an administrative region code",
        ),
        (
            "93450126MA5KX0Y18J",
            "org code check: the organisation code MA5KX0Y18 (positions 9–17) fails its "
            "check character",
        ),
        ("93450126MA5KX0Y19K", "check character: the 18th character does not match the other 17"),
    ],
)
def test_each_refusal_says_what_is_wrong_in_words(raw: str, message: str) -> None:
    # The message is what a supplier reads next to the field.
    with pytest.raises(CreditCodeError) as caught:
        parse_credit_code(raw)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("check", "raw", "message"),
    [
        (org_code_check_char, "MA5KX0Y", "an organisation code body has 8 characters"),
        (org_code_check_char, "MA5K_0Y1", "'_' is not allowed in an organisation code"),
        (credit_code_check_char, "0" * 18, "the check character is computed over 17 characters"),
        (credit_code_check_char, "0" * 16 + "I", "'I' is not a credit code character"),
    ],
)
def test_the_check_characters_refuse_input_of_the_wrong_shape_in_words(
    check: Callable[[str], str], raw: str, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        check(raw)
    assert str(caught.value) == message


def test_the_org_code_check_maps_10_to_x_and_11_to_0() -> None:
    # Sums: 00000001 → 1×2 = 2 → 11-2 = 9; 10000000 → 1×3 = 3 → 8.
    assert org_code_check_char("00000001") == "9"
    assert org_code_check_char("10000000") == "8"
    # 00000006 → 6×2 = 12 ≡ 1 (mod 11) → 10, written "X".
    assert org_code_check_char("00000006") == "X"
    # 00000000 → 0 → 11, written "0".
    assert org_code_check_char("00000000") == "0"
    assert parse_credit_code(make_credit_code("91", "110000", "00000006")).org_code.endswith("X")


def test_the_credit_check_maps_31_to_0() -> None:
    # A first 17 whose weighted sum is a multiple of 31 has the check character "0".
    assert credit_code_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("prefix", "region", "body", "message"),
    [
        ("9", "450126", "MA5KX0Y1", "prefix: two credit code characters, e.g. 93"),
        ("9I", "450126", "MA5KX0Y1", "prefix: two credit code characters, e.g. 93"),
        ("93", "45012", "MA5KX0Y1", "region: six digits"),
        ("93", "45012A", "MA5KX0Y1", "region: six digits"),
        ("93", "450126", "MA5KX0Y", "org body: 8 credit code characters"),
        ("93", "450126", "MA5KO0Y1", "org body: 8 credit code characters"),
        # Made, then refused by the parser.
        (
            "93",
            "990126",
            "MA5KX0Y1",
            "region: positions 3–8 (990126) are not an administrative region code",
        ),
    ],
)
def test_make_refuses_bad_parts(prefix: str, region: str, body: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as caught:
        make_credit_code(prefix, region, body)
    assert str(caught.value) == message


@given(
    prefix=st.sampled_from(["91", "92", "93", "51", "11", "Y1"]),
    region=st.sampled_from(["450126", "522633", "110105", "100000", "653226"]),
    body=st.text(alphabet=CREDIT_CODE_CHARSET, min_size=8, max_size=8),
)
def test_made_codes_round_trip(prefix: str, region: str, body: str) -> None:
    code = make_credit_code(prefix, region, body.lower())
    parsed = parse_credit_code(code)

    assert len(code) == 18
    assert (parsed.prefix, parsed.region_code, parsed.org_code[:8]) == (prefix, region, body)
    assert code[16] in string.digits + "X"
    assert code[17] in CREDIT_CODE_CHARSET


# ---------------------------------------------------------------------------------------------
# Phone numbers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("(+86) 199-0000-1111", "19900001111"),
        ("１３８１２３４５６７８", "13812345678"),
    ],
)
def test_mobile_numbers_are_normalised(raw: str, expected: str) -> None:
    assert normalize_mobile(raw) == expected
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "12812345678",  # 12x is no mobile prefix
        "10012345678",
        "23812345678",
        "+1 138 1234 5678",
        "+13812345678",
        "138123456７8a",
        "13812345678 转 1",
        "8713812345678",
    ],
)
def test_bad_mobile_numbers(raw: str) -> None:
    with pytest.raises(ValueError, match="mobile"):
        normalize_mobile(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),
        ("(010) 6512 3456", "010-65123456"),
        ("021-6234567", "021-6234567"),
        ("0571-87654321", "0571-87654321"),
        ("0931 8123456", "0931-8123456"),
        ("0571-87654321-8", "0571-87654321-8"),
        ("0571-87654321 转 8001", "0571-87654321-8001"),
        ("0571-87654321分机8001", "0571-87654321-8001"),
        ("0571-87654321 ext. 12", "0571-87654321-12"),
        ("0571-87654321 x12", "0571-87654321-12"),
        ("0571-87654321#12", "0571-87654321-12"),
        ("+86 10 6512 3456", "010-65123456"),
        ("+86 571 87654321", "0571-87654321"),
        ("0086-571-87654321", "0571-87654321"),
        ("+86 (0)571 87654321", "0571-87654321"),
        ("０５７１－８７６５４３２１", "0571-87654321"),
    ],
)
def test_landlines_are_normalised(raw: str, expected: str) -> None:
    assert normalize_landline(raw) == expected
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "12345",
        "87654321",  # no area code
        "0571-876543",  # 6-digit local number
        "0571-876543210",  # 9-digit local number
        "010-02345678",  # a local number never starts with 0
        "011-12345678",  # 011 is no area code
        "0571-87654321-1234567",  # extension too long
        "0571-87654321 转 abc",
        "0571-8765432a",
        "+1 571 87654321",
    ],
)
def test_bad_landlines(raw: str) -> None:
    with pytest.raises(ValueError, match=r"phone|fixed-line"):
        normalize_landline(raw)


@pytest.mark.parametrize("raw", ["", "110", "12345678901", "abc", "1381234567８9", "+86"])
def test_normalize_phone_names_both_forms_in_its_reason(raw: str) -> None:
    with pytest.raises(ValueError, match=r"mobile number .* fixed line"):
        normalize_phone(raw)
