"""A body kept compressed around the places a per-request value goes (SplicedBody)."""

from __future__ import annotations

import gzip
import random
import zlib

import pytest

from app.web.compression import GZIP_LEVEL, GZIP_MINIMUM_BYTES, SplicedBody

MARK = b"0f3a9c1e5b7d2a4c6e8f0a1b2c3d4e5f"
WORDS = [b"<li>", b"</li>", "茶".encode(), b'class="sf-card"', b"<form>", b"\n", b"value="]


def _page(marks: int, rng: random.Random, words: int = 900) -> bytes:
    chunks = [
        b"".join(rng.choice(WORDS) for _ in range(rng.randint(words // 2, words)))
        for _ in range(marks + 1)
    ]
    return MARK.join(chunks)


def _splice(body: bytes, value: bytes) -> tuple[SplicedBody, bytes, bytes | None]:
    spliced = SplicedBody.of(body, MARK, len(value))
    whole = spliced.identity(value)
    return spliced, whole, spliced.gzipped(value, whole)


@pytest.mark.parametrize("marks", [0, 1, 4])
def test_the_gzip_answer_decompresses_to_the_page_with_the_value_in_every_place(
    marks: int,
) -> None:
    body = _page(marks, random.Random(marks)) + b"x" * GZIP_MINIMUM_BYTES
    # Values that look like the page: a match referring into one would decompress wrongly.
    for value in (b"token-one_ABC", b"<li></li><li>", b"\x00" * 300, bytes(range(256)) * 3):
        spliced, whole, zipped = _splice(body, value)
        assert whole == body.replace(MARK, value)
        assert zipped is not None
        assert gzip.decompress(zipped) == whole
        # zlib's own reader checks the trailer (CRC-32 and length) too, as browsers do.
        assert zlib.decompress(zipped, wbits=31) == whole
        # Another value of the same length, in the same parts.
        other = bytes(reversed(value))
        assert gzip.decompress(spliced.gzipped(other, spliced.identity(other)) or b"") == (
            body.replace(MARK, other)
        )


def test_marks_at_both_ends_and_side_by_side() -> None:
    body = MARK + b"<p>" * 600 + MARK + MARK + b"</p>" * 400 + MARK
    _, whole, zipped = _splice(body, b"abc")
    assert whole == b"abc" + b"<p>" * 600 + b"abcabc" + b"</p>" * 400 + b"abc"
    assert zipped is not None and gzip.decompress(zipped) == whole


def test_a_page_longer_than_the_window() -> None:
    body = _page(3, random.Random(3), words=20_000)
    assert len(body) > 3 * 32 * 1024
    _, whole, zipped = _splice(body, b"v" * 43)
    assert zipped is not None and gzip.decompress(zipped) == whole


def test_about_as_small_as_the_whole_page_gzipped() -> None:
    body = _page(4, random.Random(7))
    value = b"t" * 43
    _, whole, zipped = _splice(body, value)
    assert zipped is not None
    at_once = gzip.compress(whole, compresslevel=GZIP_LEVEL)
    # Each part refers back to the parts before it: a few bytes per mark more, not whole
    # parts compressed again on their own.
    assert len(zipped) <= len(at_once) + 5 * (len(value) + 16)


def test_a_small_body_is_not_gzipped() -> None:
    spliced, whole, zipped = _splice(b"<p>" + MARK + b"</p>", b"v")
    assert spliced.deflated is None and zipped is None
    assert whole == b"<p>v</p>"


def test_a_value_of_another_length_is_answered_whole() -> None:
    spliced = SplicedBody.of(b"a" * 2000 + MARK, MARK, 43)
    assert spliced.gzipped(b"v" * 42, spliced.identity(b"v" * 42)) is None
    assert spliced.gzipped(b"v" * 43, spliced.identity(b"v" * 43)) is not None
    assert SplicedBody.of(b"a" * 2000 + MARK, MARK, 70_000).deflated is None


def test_pages_holding_nul_or_every_byte_value_decompress_right() -> None:
    nul_runs = b"<p>\x00\x00\x00\x00</p>" * 200
    every_byte = bytes(range(256)) * 8
    for body in (
        nul_runs + MARK + nul_runs + MARK + nul_runs,
        every_byte + MARK + every_byte + MARK + b"tail" * 300,
    ):
        for value in (b"\x00" * 43, b"v" * 43, bytes(range(43))):
            _, whole, zipped = _splice(body, value)
            assert zipped is not None and gzip.decompress(zipped) == whole
