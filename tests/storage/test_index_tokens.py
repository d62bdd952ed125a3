"""The index tokenizer's fast path (numpy over code points, taken by long texts such as notice bodies) gives the
tokens of the definition, written out here character by character: each character folded, runs of one class,
a CJK run as its bigrams then its last character alone, any other run whole."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from storage.normalise import fold_char
from storage.search.tokens import CJK, char_class, index_tokens, joined_index_tokens

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import make_corpus  # noqa: E402


def definition(text: str) -> list[str]:
    tokens: list[str] = []
    run, run_class = "", None
    for ch in [fold_char(c) for c in text] + [" "]:
        cls = char_class(ch)
        if cls is None or cls != run_class:
            if run_class == CJK:
                tokens += [run[i:i + 2] for i in range(len(run) - 1)] + [run[-1]]
            elif run:
                tokens.append(run)
            run, run_class = "", cls
        if cls is not None:
            run += ch
    return tokens


# Ideographs, kana, Hangul, full-width forms, Latin with accents, other scripts' digits and letters,
# compatibility ideographs (a few fold outside the BMP), ㎡ (folds to two characters: kept), astral
# ideographs, a lone surrogate, punctuation and spaces.
ALPHABET = [chr(c) for c in [*range(0x20, 0x180), *range(0x3000, 0x3100), *range(0x4E00, 0x4E60), *range(0xAC00, 0xAC08),
                             *range(0xFF00, 0xFF70), *range(0xFA60, 0xFA70), *range(0xFAC8, 0xFAD8), *range(0x0660, 0x066A),
                             0x0966, 0x03A3, 0x0130, 0x3007, 0x2160, 0x2460, 0x33A1, 0x20000, 0x2A6D6, 0xD800, 0x1D400]]


def random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(ALPHABET, k=rng.randint(0, 400))) for _ in range(count)]


def generated_notices(count: int) -> list[str]:
    gen = make_corpus.Generator(seed=3, case_rate=0.3)
    return [gen.notice(i).body.text for i in range(count)]


@pytest.mark.parametrize("texts", [generated_notices(200), random_texts(3000, seed=1)], ids=["generated", "random"])
def test_long_and_short_texts_are_tokenised_as_the_definition_says(texts):
    assert any(len(t) > 1000 for t in texts) or any(len(t) < 64 for t in texts)
    for text in texts:
        expected = definition(text)
        assert index_tokens(text) == expected, text
        assert joined_index_tokens(text) == " ".join(expected), text


def test_real_notices_are_tokenised_as_the_definition_says(shared_dir):
    files = [*sorted((shared_dir / "benchmarks" / "bidagent-gold" / "texts").iterdir()),
             *sorted((shared_dir / "benchmarks" / "compute-cases" / "docs").iterdir())]
    assert len(files) > 600
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        assert index_tokens(text) == definition(text), path.name


WORDS = [a + b + c for a in "bcdefghij" for b in "abcdefghijklmnopqrstuvwxyz" for c in "bcdefghijklmnopqrstuvwxyz"]
BODIES = [
    "甲乙" * 30_000,  # a lexeme past MAX_LEXEME_POSITIONS in every window: the token loop ends parts early
    "abc " * 600,  # a long token past it
    "abc 云 " * 300 + "采购" * 3000,
    "ab12 " * 255 + "云" * 5000,
    "𠀀𠀁汉字 Ａ１００ café " * 400,  # astral ideographs: tokenised by the regex
    "", "a", "x" * 70,
    # 676 tokens of one length, first and last letter: one bucket past the limit, no lexeme near it (exact count)
    " ".join(f"a{x}{y}z" for x in "abcdefghijklmnopqrstuvwxyz" for y in "abcdefghijklmnopqrstuvwxyz"),
    "ab " * 255 + " ".join(WORDS[:2000]),  # a lexeme exactly at the limit, every other token once
    " ".join(WORDS[:2600]),  # positions up to four digits, in two windows
]


@pytest.mark.parametrize("bodies", [generated_notices(100), BODIES, random_texts(200, seed=2)],
                         ids=["generated", "edges", "random"])
def test_postgres_parts_built_from_code_points_are_the_token_loops(bodies, monkeypatch):
    from storage.search import index

    fast = [index.postgres_parts("标题", body) for body in bodies]
    monkeypatch.setattr(index, "_body_parts_from_points", lambda points: None)
    assert fast == [index.postgres_parts("标题", body) for body in bodies]
