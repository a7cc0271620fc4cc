"""Plausible, valid demo identities: contact names, mobile numbers and credit codes."""

from __future__ import annotations

import random

from app.core.identifiers import CREDIT_CODE_CHARSET, make_credit_code

# Common surnames and given-name characters: enough variety for a few hundred contacts.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯"
    "邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
)
_GIVEN = "建国永红秀兰海燕志强春梅德明丽娟金花桂英玉珍文华俊杰小龙晓东家乐春生大山水清福林满仓"
# Mobile network prefixes in use (MIIT numbering plan), as the second and third digits.
_MOBILE_PREFIXES = (
    *("30", "31", "32", "33", "34", "35", "36", "37", "38", "39"),
    *("50", "51", "52", "53", "55", "56", "57", "58", "59", "66"),
    *("72", "73", "75", "76", "77", "78", "80", "81", "82", "83"),
    *("84", "85", "86", "87", "88", "89", "91", "93", "95", "96", "97", "98", "99"),
)


def contact_name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def mobile_number(rng: random.Random) -> str:
    """An 11-digit mainland mobile number: 1, a network prefix, eight digits."""
    return "1" + rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def cooperative_credit_code(rng: random.Random, county_code: str) -> str:
    """A valid code for a farmers' cooperative (93) registered in `county_code`.

    Recent registrations carry an organisation code beginning "MA"; both check characters
    are computed by the one implementation of the standards.
    """
    body = "MA" + "".join(rng.choice(CREDIT_CODE_CHARSET) for _ in range(6))
    return make_credit_code("93", county_code, body)
