"""`storage.normalise.nfkc` is `unicodedata.normalize("NFKC", …)` however it gets there (the content hash and the
SimHash of every stored notice read it) — full-width forms, characters that become several (㎡, …), combining
marks that compose with their neighbour, conjoining Hangul jamo, characters beyond the BMP, lone surrogates, and
random texts drawn from the whole BMP — with one known exception, kept because stored hashes depend on it (it
was so before the fast path too): Hangul compatibility jamo (U+3131–318E, U+FFA0–FFDC) are mapped one by one to
conjoining jamo, which NFKC would then compose with a neighbouring jamo or syllable ("ㄱㅏ" gives "가", two
characters, where NFKC gives the one syllable "가")."""

from __future__ import annotations

import random
import unicodedata

import pytest

from storage import normalise
from storage.normalise import nfkc

CASES = [
    "项目编号：ＺＢ－２０２４－００１（第１包），预算１２０万元。",  # full-width forms, one character each
    "机房面积３００㎡，工期…见附件",  # ㎡ → m2, … → ...
    "Cafe\u0301 ＡＩ",  # e + combining acute composes to é
    "\u1100\u1161\u11a8 한국",  # conjoining jamo compose to a syllable
    "𠀀𝐀𝟏 算力",  # beyond the BMP; mathematical bold A and 1 → A, 1
    "坏\ud800字",  # a lone surrogate (kept as it is)
    "\x00\t\u3000全角空格\ufeff",
]


@pytest.mark.parametrize("text", CASES)
def test_nfkc_is_unicodedatas(text):
    normalise._last_nfkc = ("", "")
    assert nfkc(text) == unicodedata.normalize("NFKC", text)


def test_nfkc_of_random_texts_over_the_whole_bmp_is_unicodedatas():
    rng = random.Random(15)
    for n in range(400):
        # Mostly one block at a time (as real texts are), some texts anywhere in the plane.
        lo = rng.randrange(0, 0x10000 - 64) if n % 4 else 0
        hi = lo + 64 if n % 4 else 0xFFFF
        text = "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 60)))
        assert nfkc(text) == unicodedata.normalize("NFKC", text), [hex(ord(c)) for c in text]


def test_the_body_text_compared_between_crawls_has_whitespace_runs_collapsed_and_ends_stripped():
    rng = random.Random(16)
    spaces = [chr(c) for c in range(0x3000 + 1) if chr(c).isspace()]  # tab, newline, NBSP, U+3000 …
    for _ in range(200):
        text = "".join(rng.choice(["采购", "A100", "，", *spaces]) for _ in range(rng.randint(0, 40)))
        assert normalise.normalise_body(text) == normalise._SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


COMPATIBILITY_JAMO = [*range(0x3131, 0x318F), *range(0xFFA0, 0xFFDD)]


def test_compatibility_jamo_are_mapped_one_by_one_where_nfkc_would_compose_them():
    assert nfkc("ㄱㅏ") == "\u1100\u1161" and unicodedata.normalize("NFKC", "ㄱㅏ") == "가"
    assert nfkc("가ㄳ") == "가\u11aa" and unicodedata.normalize("NFKC", "가ㄳ") == "갃"
    # Each alone, and every pair of them, is its characters' NFKC forms side by side: never composed.
    for a in COMPATIBILITY_JAMO:
        assert nfkc(chr(a)) == unicodedata.normalize("NFKC", chr(a))
    for a in COMPATIBILITY_JAMO[::7]:
        for b in COMPATIBILITY_JAMO[::5]:
            text = chr(a) + chr(b)
            assert nfkc(text) == "".join(unicodedata.normalize("NFKC", c) for c in text), text
