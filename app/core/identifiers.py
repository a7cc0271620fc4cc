"""Chinese identifiers: unified social credit codes (GB 32100-2015) and phone numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# GB 32100-2015: the 31 characters of a credit code, in the order that gives their values.
# I, O, Z, S and V are left out so that no character can be misread as a digit or another.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_LENGTH = 18
_CHAR_VALUES = {char: value for value, char in enumerate(CREDIT_CODE_CHARSET)}
# GB 11714 (organisation code, positions 9–17): weights of its eight body characters.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_BODY_LENGTH = 8

# The first two digits of a registration region: the provinces of GB/T 2260 and "10" for
# registrations at national level (100000).
_REGION_PREFIXES = frozenset(
    {"10", "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36"}
    | {"37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62"}
    | {"63", "64", "65", "71", "81", "82"}
)


class CreditCodeError(ValueError):
    """Why a credit code is refused; `reason` is one of CREDIT_CODE_REASONS."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason.replace('_', ' ')}: {message}")
        self.reason = reason


# Each check of parse_credit_code, in the order they run.
CREDIT_CODE_REASONS = ("length", "charset", "region", "org_code_check", "check_character")


@dataclass(frozen=True)
class CreditCode:
    """A checked unified social credit code and what its positions say."""

    code: str  # the canonical 18 upper-case characters

    @property
    def authority(self) -> str:
        """Position 1: the registration authority (9 = market regulation, 5 = civil affairs…)."""
        return self.code[0]

    @property
    def org_type(self) -> str:
        """Position 2: the kind of entity under that authority (1 enterprise, 2 individual
        business, 3 farmers' cooperative, under authority 9)."""
        return self.code[1]

    @property
    def prefix(self) -> str:
        """Positions 1–2, e.g. "93" for a farmers' specialised cooperative."""
        return self.code[:2]

    @property
    def region_code(self) -> str:
        """Positions 3–8: the administrative region of the registering office."""
        return self.code[2:8]

    @property
    def org_code(self) -> str:
        """Positions 9–17: the organisation code (GB 11714), its own check character last."""
        return self.code[8:17]


def canonical_text(raw: str) -> str:
    """Full-width characters folded to ASCII (NFKC), spaces removed, upper-cased."""
    folded = unicodedata.normalize("NFKC", raw)
    return "".join(folded.split()).upper()


def org_code_check_char(body: str) -> str:
    """The GB 11714 check character of an 8-character organisation code body."""
    if len(body) != ORG_BODY_LENGTH:
        raise ValueError(f"an organisation code body has {ORG_BODY_LENGTH} characters")
    total = 0
    for char, weight in zip(body, _ORG_WEIGHTS, strict=True):
        # GB 11714 values: digits as themselves, letters A–Z as 10–35 (not the credit
        # code's own values, which skip I, O, Z, S and V).
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        else:
            raise ValueError(f"{char!r} is not allowed in an organisation code")
        total += value * weight
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_check_char(first17: str) -> str:
    """The GB 32100 check character (position 18) of the first 17 characters (python-stdnum's
    `cn.uscc`, which computes it but knows neither region prefixes nor the GB 11714 check)."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(
            f"the check character is computed over {CREDIT_CODE_LENGTH - 1} characters"
        )
    bad = next((char for char in first17 if char not in _CHAR_VALUES), None)
    if bad is not None:
        raise ValueError(f"{bad!r} is not a credit code character")
    from stdnum.cn import uscc  # on first use: only a supplier's registration checks one

    check: str = uscc.calc_check_digit(first17)
    return check


def parse_credit_code(raw: str) -> CreditCode:
    """Check a unified social credit code; CreditCodeError (a ValueError) naming the reason.

    Lower case, surrounding or embedded spaces and full-width characters are accepted and
    normalised. The checks, in order: length, characters, region code, the organisation code's
    check character (position 17), the code's check character (position 18).
    """
    code = canonical_text(raw)
    if len(code) != CREDIT_CODE_LENGTH:
        raise CreditCodeError(
            "length", f"a credit code has {CREDIT_CODE_LENGTH} characters, not {len(code)}"
        )
    bad = sorted({char for char in code if char not in _CHAR_VALUES})
    if bad:
        raise CreditCodeError(
            "charset",
            "not allowed in a credit code: "
            + ", ".join(repr(char) for char in bad)
            + " (only digits and capital letters except I, O, Z, S, V)",
        )
    region = code[2:8]
    if not region.isdigit() or region[:2] not in _REGION_PREFIXES:
        raise CreditCodeError(
            "region", f"positions 3–8 ({region}) are not an administrative region code"
        )
    body, org_check = code[8:16], code[16]
    if org_code_check_char(body) != org_check:
        raise CreditCodeError(
            "org_code_check",
            f"the organisation code {code[8:17]} (positions 9–17) fails its check character",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise CreditCodeError("check_character", "the 18th character does not match the other 17")
    return CreditCode(code)


def make_credit_code(prefix: str, region_code: str, org_body: str) -> str:
    """A valid credit code from its prefix ("93"), region ("450126") and 8-character
    organisation body; both check characters are computed. For demo data and tests."""
    prefix, region, body = (
        canonical_text(prefix),
        canonical_text(region_code),
        canonical_text(org_body),
    )
    if len(prefix) != 2 or any(char not in _CHAR_VALUES for char in prefix):
        raise ValueError("prefix: two credit code characters, e.g. 93")
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region: six digits")
    if len(body) != ORG_BODY_LENGTH or any(char not in _CHAR_VALUES for char in body):
        raise ValueError(f"org body: {ORG_BODY_LENGTH} credit code characters")
    first17 = prefix + region + body + org_code_check_char(body)
    code = first17 + credit_code_check_char(first17)
    return parse_credit_code(code).code


# ---------------------------------------------------------------------------------------------
# Phone numbers

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Two-digit area codes are 10 (Beijing) and 20–29; every other area code has three digits.
# A local number never begins with 0, the trunk prefix.
_LANDLINE = re.compile(r"0(?P<area>10|2\d|[3-9]\d\d)(?P<number>[1-9]\d{6,7})")
_EXTENSION = re.compile(r"^(?P<main>.+?)(?:转|分机|EXT\.?|X|#|,|;)(?P<ext>\d{1,6})$")
_COUNTRY_PREFIX = re.compile(r"^(?:\+86|0086|86)")
_PHONE_JUNK = re.compile(r"[\s()\-.]")
_PHONE_ALLOWED = re.compile(r"^[+\d\s()\-.]+$")
MAX_EXTENSION_DIGITS = 6


def normalize_mobile(raw: str) -> str:
    """A mainland mobile number as its 11 digits ("13812345678"); +86 / 86, spaces and dashes
    are stripped. ValueError otherwise."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or not _PHONE_ALLOWED.match(text):
        raise ValueError("a mobile number has only digits, spaces, dashes and a leading +86")
    digits = _PHONE_JUNK.sub("", text)
    if len(digits) > 11:
        digits = _COUNTRY_PREFIX.sub("", digits, count=1)
    if not _MOBILE.fullmatch(digits):
        raise ValueError("a mainland mobile number has 11 digits and starts with 13–19")
    return digits


def _split_extension(text: str) -> tuple[str, str | None]:
    """("main number", "extension" or None): 转123, ext 123, x123, #123, or a third dash group."""
    compact = "".join(text.split()).upper()
    match = _EXTENSION.match(compact)
    if match:
        return match["main"], match["ext"]
    groups = compact.split("-")
    # 0571-87654321-123: the last group of three is an extension; 0571-8765-4321 is not
    # (its middle group is too short to be a whole local number).
    if len(groups) == 3 and len(groups[1]) >= 7 and 1 <= len(groups[2]) <= MAX_EXTENSION_DIGITS:
        return f"{groups[0]}-{groups[1]}", groups[2]
    return compact, None


def normalize_landline(raw: str) -> str:
    """A fixed-line number as "0area-number" (with "-extension" if any), e.g. "0571-87654321-8";
    ValueError otherwise. Accepts (0571) 8765 4321, 010-12345678 转 123, +86 10 12345678."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise ValueError("enter a phone number")
    main, extension = _split_extension(text)
    if not _PHONE_ALLOWED.match(main):
        raise ValueError("a phone number has only digits, spaces, dashes and brackets")
    digits = _PHONE_JUNK.sub("", main)
    if digits.startswith(("+86", "0086")) or (digits.startswith("86") and len(digits) >= 11):
        # Dialled from abroad the trunk 0 is dropped (+86 10 …); put it back.
        digits = _COUNTRY_PREFIX.sub("", digits, count=1)
        if not digits.startswith("0"):
            digits = "0" + digits
    match = _LANDLINE.fullmatch(digits)
    if not match:
        raise ValueError(
            "a fixed-line number is 0, a 2–3 digit area code and a 7–8 digit local number"
        )
    normalized = f"0{match['area']}-{match['number']}"
    return f"{normalized}-{extension}" if extension else normalized


def normalize_phone(raw: str) -> str:
    """A mobile number ("13812345678") or a fixed line ("0571-87654321"); ValueError if neither."""
    try:
        return normalize_mobile(raw)
    except ValueError:
        pass
    try:
        return normalize_landline(raw)
    except ValueError:
        raise ValueError(
            "not a phone number: expected a mainland mobile number (11 digits starting with "
            "13–19) or a fixed line (0 + area code + 7–8 digits, optional extension)"
        ) from None


# Food production licence (食品生产许可证编号, 食品生产许可管理办法 art. 30): "SC" and 14 digits:
# the food category (3 digits, the first 1 for food, 2 for food additives), the province,
# prefecture and county of the issuing office (2 digits each), a serial (4) and a check digit.
_FOOD_LICENCE = re.compile(r"^SC(?P<category>[12]\d\d)(?P<province>\d\d)\d{9}$")
_MAINLAND_PROVINCES = _REGION_PREFIXES - {"10", "71", "81", "82"}


def parse_food_licence(raw: str) -> str:
    """The canonical licence number ("SC" + 14 digits; spaces and full-width forms folded),
    or ValueError saying what is wrong."""
    code = canonical_text(raw)
    found = _FOOD_LICENCE.match(code)
    if found is None:
        raise ValueError("must be SC followed by 14 digits, the first 1 or 2")
    if found["province"] not in _MAINLAND_PROVINCES:
        raise ValueError("digits 4–5 after SC must name a mainland province")
    return code
