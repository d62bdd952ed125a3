"""The sentence of evidence shown for a case (or a possible case): chosen here once, for the search list and
API (its snippet), the exports (CSV, JSONL) and the weekly digest, so all of them show the same sentence.

The choice: the evidence of the compute findings (not of the notice fields), best field first
(COMPUTE_EVIDENCE_FIELDS; "cloud_providers:aws" counts as "cloud_providers"), each read as the sentence of
the document its offsets point into (the body or an attachment); the title and headings (a short line that is
no sentence, "二、大模型API服务采购需求") are passed over when a sentence of a document says more, since they
name the subject without saying what is bought.

`evidence_sentences` groups all of a notice's evidence by the sentence it rests on, each sentence with the
findings it supports: the notice page shows each sentence once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

import sqlalchemy as sa

from storage.pgcopy import one_of_ids

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


def stored_evidence(conn: sa.Connection, notice_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The evidence items of each notice's extraction (`stored_results`)."""
    return {nid: [dict(ev) for ev in (result.get("evidence") or []) if isinstance(ev, dict)]
            for nid, result in stored_results(conn, notice_ids).items()}


def stored_results(conn: sa.Connection, notice_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Each notice's extraction result: the one of its current extractor version, else its newest (notices
    re-extracted by a newer version keep older rows until they are pruned). The notice page reads it whole."""
    ids = list(dict.fromkeys(notice_ids))
    if not ids:
        return {}
    params: dict = {}
    rows = conn.execute(
        sa.text(
            "SELECT e.notice_id, e.extractor_version = n.extractor_version AS current, e.result"
            " FROM extraction e JOIN notice n ON n.id = e.notice_id"
            f" WHERE {one_of_ids(conn.dialect.name, 'e.notice_id', ids, params, 'ids')} ORDER BY e.id"
        ).columns(current=sa.Boolean, result=sa.JSON), params
    )
    chosen: dict[int, tuple[bool, Any]] = {}
    for nid, current, result in rows:
        if nid not in chosen or not chosen[nid][0]:
            chosen[nid] = (bool(current), result)
    return {nid: dict(result or {}) for nid, (_, result) in chosen.items()}


def field_base(evidence: dict[str, Any]) -> str:
    """"cloud_providers:aws" → "cloud_providers"."""
    return str(evidence.get("field") or "").split(":", 1)[0]


def compute_evidence(evidence: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The evidence for the compute findings (not for the notice fields), best first."""
    rank = {name: i for i, name in enumerate(COMPUTE_EVIDENCE_FIELDS)}
    found = [e for e in evidence if isinstance(e, dict) and field_base(e) not in FIELD_EVIDENCE_FIELDS]
    # A stable sort: among equals the extractor's own order (its best evidence of a field first) holds.
    return sorted(found, key=lambda e: rank.get(field_base(e), len(rank)))


@dataclass
class EvidenceSentence:
    """One sentence of a document with the evidence items that rest on it (best first)."""

    text: str
    document: str  # "" = the notice body, else the attachment's name
    fields: list[str] = field(default_factory=list)  # evidence field names, e.g. "cloud_providers:aws"
    items: list[dict[str, Any]] = field(default_factory=list)


# Punctuation inside a sentence: a line without any, and short, is a heading or a label, not a sentence.
_SENTENCE_MARKS = re.compile(r"[，。；！？,;!?：:、]")
HEADING_MAX = 30


def is_heading(sentence: str) -> bool:
    """"二、大模型API服务采购需求" names a subject; "采购内容：租用…一年。" says what is bought."""
    body = sentence.strip().rstrip("。.")
    body = re.sub(r"^[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]\s*", "", body)  # section numbering
    return len(body) <= HEADING_MAX and not _SENTENCE_MARKS.search(body)


_LABEL = re.compile(r"^[^，。；：:]{1,12}[：:]")  # "采购项目名称：" before a value


def is_title(sentence: str, title: str) -> bool:
    """The sentence only repeats the notice's title (which every list shows anyway), whole or as a labelled
    line naming the project ("采购项目名称：江汉智算中心算力租赁服务采购项目")."""
    title = " ".join((title or "").split())
    line = sentence.rstrip("。")
    if line == title:
        return True
    value = _LABEL.sub("", line, count=1).strip()
    return value != line and len(value) >= 4 and value in title


def evidence_sentences(
    evidence: Iterable[dict[str, Any]], text_of: Callable[[str], str], *, compute_only: bool = False
) -> list[EvidenceSentence]:
    """The sentences the evidence rests on, each once with the findings it supports, in the order of the
    evidence (with `compute_only`, the compute evidence best first, as `compute_evidence` ranks it)."""
    items = compute_evidence(evidence) if compute_only else [e for e in evidence if isinstance(e, dict)]
    out: dict[tuple[str, str], EvidenceSentence] = {}
    for ev in items:
        document = ev.get("document") or ""
        text = sentence_around(text_of(document), ev.get("start"), ev.get("end"), ev.get("text") or "")
        if not text:
            continue
        group = out.setdefault((document, text), EvidenceSentence(text, document))
        name = str(ev.get("field") or "")
        if name not in group.fields:
            group.fields.append(name)
        group.items.append(ev)
    return list(out.values())


def ranked_sentences(
    evidence: Iterable[dict[str, Any]], title: str, text_of: Callable[[str], str]
) -> list[EvidenceSentence]:
    """The compute evidence's sentences, the one to show first: sentences that say what is bought, then
    headings, then the title (readers see the title anyway)."""
    found = evidence_sentences(evidence, text_of, compute_only=True)

    def rank(s: EvidenceSentence) -> int:
        return 2 if is_title(s.text, title) else 1 if is_heading(s.text) else 0

    return sorted(found, key=rank)  # stable: among equals, the best field first


def case_sentence(
    evidence: Iterable[dict[str, Any]], title: str, text_of: Callable[[str], str]
) -> Optional[str]:
    """THE evidence sentence of a notice: the sentence around its best compute evidence. `text_of(name)`
    gives the text of the document an evidence item names ("" = the notice body, else an attachment's
    name); None when there is no compute evidence."""
    ranked = ranked_sentences(evidence, title, text_of)
    return ranked[0].text if ranked else None


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
