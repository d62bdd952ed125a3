"""Bytes → str for HTML and text. A declared charset is a hint, not the truth.

Order: a byte-order mark wins; then UTF-8 if the bytes are valid UTF-8; then the declared charset, widened to
the superset browsers use (gb2312 and gbk → GB18030, big5 → Big5-HKSCS), GB18030 and Big5, scored by how
plausible the Chinese they give is (the declared one with a head start). GB18030 decodes almost any byte string, Big5 bytes included, so
decoding success alone cannot choose between them: Big5 text read as GB18030 turns into kana, Cyrillic and
rare ideographs, while the right decoding is mostly the few thousand common characters.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections import Counter
from dataclasses import dataclass
from typing import Optional

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: same first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# What browsers actually decode a label with (WHATWG Encoding Standard: gb2312/gbk → gb18030 decoder,
# big5 → Big5-HKSCS). Python's strict gb2312 codec rejects the GBK characters real "gb2312" pages hold.
_SUPERSETS = {
    "gb2312": "gb18030", "gbk": "gb18030", "gb18030": "gb18030", "hz": "gb18030",
    "big5": "big5hkscs", "cp950": "big5hkscs", "big5hkscs": "big5hkscs",
    "utf_8": "utf-8", "utf-8": "utf-8",
}
# Labels servers send by default, whatever the page holds: only trusted when the bytes are plain ASCII.
_WEAK = {"ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15"}

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL_RE = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_CT_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)

_KANA_ETC_RE = re.compile("[\u0370-\u052f\u2500-\u257f\u3040-\u30ff\ue000-\uf8ff\ufffd\uac00-\ud7af]")
_HAN_RE = re.compile("[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


@dataclass
class Decoded:
    text: str
    encoding: str  # the codec used, e.g. "utf-8", "gb18030", "big5hkscs"
    declared: Optional[str] = None  # what the page or header said, as given
    replaced: int = 0  # undecodable bytes replaced by U+FFFD (0 = clean decode)


def declared_charset(data: bytes, content_type: Optional[str] = None, *, html: bool = False) -> Optional[str]:
    """The charset named by the Content-Type header, or (HTML) a meta tag / XML declaration near the top."""
    if content_type:
        m = _CT_CHARSET_RE.search(content_type)
        if m:
            return m.group(1)
    if html:
        head = data[:8192]
        m = _META_CHARSET_RE.search(head) or _XML_DECL_RE.search(head)
        if m:
            return m.group(1).decode("ascii", "ignore")
    return None


def _canonical(label: Optional[str]) -> Optional[str]:
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


@functools.lru_cache(maxsize=1)
def _common_han() -> frozenset[str]:
    """The everyday characters: GB2312 level 1 (3,755 simplified) and Big5 level 1 (5,401 traditional),
    taken from the codecs themselves rather than a shipped list."""
    chars: set[str] = set()
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.add(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    for lead in range(0xA4, 0xC7):
        trails = list(range(0x40, 0x7F)) + (list(range(0xA1, 0xFF)) if lead < 0xC6 else [])  # level 1 ends at C67E
        for trail in trails:
            try:
                c = bytes((lead, trail)).decode("big5")
            except UnicodeDecodeError:
                continue
            if _HAN_RE.match(c):
                chars.add(c)
    return frozenset(chars)


def plausibility(text: str) -> float:
    """How much a decoding looks like real Chinese (or plain text): 1.0 = all non-ASCII characters are
    common Han characters or ordinary punctuation; kana, Cyrillic, box drawing, private-use and U+FFFD
    (the marks of a wrong decoding of Chinese bytes) pull it down."""
    counts = Counter(text)  # per distinct character: a page has a few hundred, not tens of thousands
    common = _common_han()
    non_ascii = good = rare_han = bad = 0
    for c, n in counts.items():
        o = ord(c)
        if o <= 0x7F:
            continue
        non_ascii += n
        if c in common or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF:
            good += n
        elif _HAN_RE.match(c):
            rare_han += n
        elif _KANA_ETC_RE.match(c):
            bad += n
    if not non_ascii:
        return 1.0
    return (good - 0.5 * rare_han - 2.0 * bad) / non_ascii


def _strict(data: bytes, codec: str) -> Optional[str]:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf16_guess(data: bytes) -> Optional[str]:
    """UTF-16 without a BOM: ASCII-range text leaves every other byte zero."""
    sample = data[:4096]
    if len(sample) < 4 or sample.count(0) < len(sample) // 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 3 * max(even, 1):
        return "utf-16-le"
    if even > 3 * max(odd, 1):
        return "utf-16-be"
    return None


_PIECES, _PIECE = 5, 8000
# Of the non-ASCII characters: more replaced than this and the codec is not the page's (a stray pair in UTF-8
# is 2 in thousands; GB18030 read as Big5 loses ~4 %, as UTF-8 ~80 %).
_MAX_BAD_SHARE = 0.01
_STRAY_BAD = 8  # a few stray bytes inside a multi-byte character replace it and its neighbours too


def _spread(text, size: int = _PIECE, pieces: int = _PIECES):
    """Pieces (of a str or bytes) from the start, the middle and the end: the charset is decided on the whole
    document, not on its first bytes, at a bounded cost. Cutting bytes may split a character at each cut."""
    if len(text) <= size * pieces:
        return text
    step = (len(text) - size) // (pieces - 1)
    return text[:0].join(text[i * step:i * step + size] for i in range(pieces))


def decode(data: bytes, declared: Optional[str] = None) -> Decoded:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            text = _strict(data[len(bom):], codec)
            # A BOM is believed when what follows is that encoding (UTF-16/32 markup is half zero bytes, or
            # the text reads as Chinese); otherwise it is stray bytes before text in another encoding.
            if text is not None and (bom == codecs.BOM_UTF8 or b"\x00" in data[:4096]
                                     or plausibility(_spread(text)) >= 0.5):
                return Decoded(text, codec, declared)
            if bom == codecs.BOM_UTF8:
                data = data[len(bom):]
            break

    hint = _canonical(declared)
    if data.isascii():
        return Decoded(data.decode("ascii"), "ascii" if not hint or hint in _WEAK else hint, declared)
    # Valid UTF-8 first, whatever the label: Chinese text in GB18030 or Big5 is practically never valid
    # UTF-8, while UTF-8 bytes do decode "cleanly" as GB18030 (into mojibake) — and pages re-saved as UTF-8
    # that still say gb2312, or served with a stale GBK header, are common.
    text = _strict(data, "utf-8")
    if text is not None:
        return Decoded(text, "utf-8", declared)

    # The declared charset competes with GB18030, Big5 and UTF-8 (for a page whose UTF-8 has a few bad
    # bytes), each decoded whole with bad bytes replaced and scored on pieces of the whole text: the declared
    # one has a head start and wins unless its text is clearly less plausible; U+FFFD counts against a codec.
    utf16 = _utf16_guess(data)
    order = ([hint] if hint and hint not in _WEAK else []) + ([utf16] if utf16 else []) + ["gb18030", "big5hkscs",
                                                                                         "utf-8"]
    candidates: list[tuple[float, int, int, str, str]] = []
    for rank, codec in enumerate(dict.fromkeys(order)):
        text = _strict(data, codec)
        if text is None:
            # Not clean: worth decoding whole only if the bad bytes are few (a sample of the bytes tells).
            try:
                sample = _spread(data).decode(codec, errors="replace")
            except LookupError:
                continue
            non_ascii = len(sample) - len(sample.encode("ascii", "ignore"))
            cuts = 0 if len(data) <= _PIECE * _PIECES else _PIECES  # a character may be split at each cut
            if sample.count("\ufffd") > _MAX_BAD_SHARE * non_ascii + _STRAY_BAD + 2 * cuts:
                continue
            text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        bonus = 0.2 if codec == hint else 0.0
        candidates.append((plausibility(_spread(text)) + bonus, -bad, -rank, codec, text))
    if not candidates:  # damaged beyond every codec: keep the one that loses least
        texts = [(t.count("\ufffd"), rank, codec, t) for rank, codec in enumerate(["gb18030", "utf-8"])
                 for t in [data.decode(codec, errors="replace")]]
        bad, _, codec, text = min(texts)
        candidates.append((plausibility(_spread(text)), -bad, 0, codec, text))
    score, neg_bad, _, codec, text = max(candidates)
    if hint in _WEAK and score < 0.5:
        # Neither Chinese decoding makes sense: a Western page after all (single-byte codecs decode anything).
        return Decoded(data.decode(hint, errors="replace"), hint, declared)
    return Decoded(text, codec, declared, -neg_bad)
