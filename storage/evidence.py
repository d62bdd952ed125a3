"""The sentence of evidence shown for a case (or a possible case): chosen here once, for the search list and
API, the exports (CSV, JSONL) and the weekly digest, so all of them show the same sentence.

The choice: the evidence of the compute findings (not of the notice fields), best field first
(COMPUTE_EVIDENCE_FIELDS; "cloud_providers:aws" counts as "cloud_providers"), each read as the sentence of
the document its offsets point into (the body or an attachment); the title is passed over when a sentence
of a document says more, since readers see the title anyway.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Optional

# Evidence fields that explain why a notice is a compute case, best first (the extractor names them
# "remote_compute", "compute_kinds:cloud", "cloud_providers:aws" …; hardware_purchase ranks after these).
COMPUTE_EVIDENCE_FIELDS = ("remote_compute", "compute_kinds", "cloud_providers", "gpu_models", "flags")
FIELD_EVIDENCE_FIELDS = frozenset(
    ("notice_type", "title", "project_codes", "buyer", "agency", "vendors", "amounts", "published_at",
     "bid_deadline", "region")
)
SENTENCE_ENDS = "。！？；;!?\n"
MAX_SENTENCE = 160  # characters of context shown around an evidence match
MAX_EVIDENCE = 240  # longest evidence text shown


def field_base(evidence: dict[str, Any]) -> str:
    """"cloud_providers:aws" → "cloud_providers"."""
    return str(evidence.get("field") or "").split(":", 1)[0]


def compute_evidence(evidence: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence for the compute findings (not for the notice fields), best first."""
    rank = {name: i for i, name in enumerate(COMPUTE_EVIDENCE_FIELDS)}
    found = [e for e in evidence if isinstance(e, dict) and field_base(e) not in FIELD_EVIDENCE_FIELDS]
    # A stable sort: among equals the extractor's own order (its best evidence of a field first) holds.
    return sorted(found, key=lambda e: rank.get(field_base(e), len(rank)))


def case_sentence(
    evidence: Iterable[dict[str, Any]], title: str, text_of: Callable[[str], str]
) -> Optional[str]:
    """THE evidence sentence of a notice: the sentence around its best compute evidence. `text_of(name)`
    gives the text of the document an evidence item names ("" = the notice body, else an attachment's
    name); None when there is no compute evidence."""
    title = " ".join((title or "").split())
    sentences = []
    for ev in compute_evidence(evidence):
        sentence = sentence_around(text_of(ev.get("document") or ""), ev.get("start"), ev.get("end"),
                                   ev.get("text") or "")
        if sentence and sentence.rstrip("。") != title:
            return sentence
        sentences.append(sentence)
    return next((s for s in sentences if s), None)


def sentence_around(text: str, start: Optional[int], end: Optional[int], fallback: str) -> str:
    """The sentence of `text` holding [start, end); the evidence text itself when the offsets do not fit."""
    if start is None or end is None or not (0 <= start < end <= len(text)) or (
        fallback and text[start:end] != fallback
    ):
        return _clip(" ".join(fallback.split()))
    left = max(text.rfind(ch, 0, start) for ch in SENTENCE_ENDS) + 1
    rights = [i for i in (text.find(ch, end) for ch in SENTENCE_ENDS) if i != -1]
    right = min(rights) + 1 if rights else len(text)
    # Long "sentences" (tables flattened to one line) are cut to a window around the match.
    room = max(0, MAX_SENTENCE - (end - start)) // 2
    lead, tail = "", ""
    if start - left > room:
        left, lead = start - room, "…"
    if right - end > room:
        right, tail = end + room, "…"
    return _clip(lead + " ".join(text[left:right].split()) + tail)


def _clip(sentence: str) -> str:
    """Evidence that is itself a flattened table row can run to hundreds of characters."""
    return sentence if len(sentence) <= MAX_EVIDENCE else sentence[: MAX_EVIDENCE - 1] + "…"
