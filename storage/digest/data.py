"""What goes into a week's digest: the data selection, independent of any output format.

A *case* is one procurement that sought remote compute: the notices sharing a `procurement_key` (tender,
corrections, award, contract …), or a single notice without one. A case is *new* in the week its first
notice was first seen; a case first seen earlier *changed* in a week when one of its notices was first seen
that week (awarded, corrected, cancelled …) or when a page of it was re-fetched with new content (revised,
from `NoticeVersion`).

By publication (`by="published"`) the same holds with each notice's own publication date in place of when it
was first seen (the first-seen time, in China local time like the dates notices state, where a notice states
no date), and without revisions: a fresh database of old notices then shows the weeks they were published in.
First-seen weeks are UTC weeks, publication weeks China-local ones. Such a week can still grow when notices
published in it are crawled later; the first-seen digest cannot.

Rebuilding a past week gives the same digest: everything is selected by times before the week's end (a later
award does not leak into an earlier week's case), and every list is ordered in Python, never by the
database's collation, so SQLite and PostgreSQL agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Session

from extract.compute.vocabulary import KINDS, in_order, sort_kinds
from extract.fields.dates import CHINA, china_local
from models.tables import NOTICE, TAG, VERSION
from storage.digest.weeks import IsoWeek
from storage.exports.records import BATCH, NoticeRecord, load_records
from storage.reading import connection_of
from storage.review import decisions, is_case

HISTORY_WEEKS = 12  # weeks in the chart, this one included
COMPARE_WEEKS = 4  # previous weeks the totals are compared with
NO_PROVIDER = "provider not named"
CLOCKS = ("first_seen", "published")  # what puts a notice in a week: when we first saw it, or its own date
CHINA_AHEAD = CHINA.utcoffset(None)  # China local time minus UTC

EVENT_BY_TYPE = {
    "award": "awarded",
    "contract": "contract signed",
    "correction": "corrected",
    "cancellation": "cancelled",
    "tender": "re-tendered",
    "intention": "intention published",
}
EVENT_ORDER = ("awarded", "contract signed", "corrected", "cancelled", "re-tendered", "intention published",
               "new notice", "revised")
STATUS_BY_TYPE = {
    "intention": "planned", "tender": "open", "correction": "corrected", "cancellation": "cancelled",
    "award": "awarded", "contract": "contract signed",
}


@dataclass
class Case:
    key: str
    first_seen: datetime
    notices: list[NoticeRecord]  # those first seen (or published) before the week's end, in that order
    number: int = 0  # C<number> in the digest, assigned in reading order
    opened: Optional[datetime] = None  # when the case began by the digest's clock (first seen or published)

    @property
    def label(self) -> str:
        return f"C{self.number}"

    @property
    def compute_notices(self) -> list[NoticeRecord]:
        return [n for n in self.notices if n.is_case] or self.notices

    @property
    def lead(self) -> NoticeRecord:
        """The notice that made it a case: its earliest remote-compute notice."""
        return self.compute_notices[0]

    @property
    def confirmed(self) -> bool:
        """A reviewer confirmed the notice that made it a case (its newest decision)."""
        return bool(self.lead.review and self.lead.review["decision"] == "confirmed")

    def _first(self, attr: str) -> Any:
        return next((getattr(n, attr) for n in self.notices if getattr(n, attr)), None)

    @property
    def title(self) -> str:
        return self.lead.title or self._first("title") or self.key

    @property
    def buyer(self) -> Optional[str]:
        return self._first("buyer")

    @property
    def agency(self) -> Optional[str]:
        return self._first("agency")

    @property
    def region(self) -> Optional[str]:
        return self._first("region")

    @property
    def project_code(self) -> Optional[str]:
        return self._first("project_code")

    @property
    def published_at(self) -> Optional[datetime]:
        return self.lead.published_at

    @property
    def budget(self) -> Optional[tuple[float, str]]:
        """The first stated budget with its currency (yuan, or the one currency a notice states it in)."""
        return next((n.money("budget") for n in self.notices if n.money("budget") is not None), None)

    @property
    def award(self) -> Optional[tuple[float, str]]:
        """The latest award or contract amount with its currency."""
        return next((n.money("award") for n in reversed(self.notices) if n.money("award") is not None), None)

    @property
    def suppliers(self) -> list[str]:
        return sorted({v for n in self.notices if n.notice_type in ("award", "contract") for v in n.vendor_names})

    @property
    def kinds(self) -> list[str]:
        return sort_kinds(k for n in self.notices if n.is_case for k in n.kinds)

    @property
    def providers(self) -> list[str]:
        return sorted({p for n in self.notices for p in n.providers})

    @property
    def chips(self) -> list[str]:
        return sorted({c for n in self.notices for c in n.chips})

    @property
    def flags(self) -> list[str]:
        return in_order("flag", (f for n in self.notices for f in n.flags))

    @property
    def screening(self) -> list[dict[str, Any]]:
        """Its parties' screening-list candidates over its notices, each (organisation, entry, list) once."""
        seen: dict[tuple, dict[str, Any]] = {}
        for n in self.notices:
            for h in n.screening:
                seen.setdefault((h["organisation_id"], h["entry"], h["list"]), h)
        return list(seen.values())

    @property
    def status(self) -> str:
        return STATUS_BY_TYPE.get(self.notices[-1].notice_type or "", "published")

    @property
    def evidence(self) -> Optional[str]:
        for n in self.compute_notices:
            sentence = n.evidence_sentence()
            if sentence:
                return sentence
        return None

    @property
    def provider_group(self) -> str:
        return ", ".join(self.providers) or NO_PROVIDER


@dataclass
class Event:
    kind: str  # one of EVENT_ORDER
    at: datetime
    notice: NoticeRecord
    content_hash: str = ""  # for "revised": the new content


@dataclass
class Change:
    case: Case
    events: list[Event]


@dataclass
class WeekCount:
    week: IsoWeek
    cases: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})


@dataclass
class Group:
    facet: str  # provider chip buyer
    value: str
    new: list[Case]
    changed: list[Case]


@dataclass
class Digest:
    week: IsoWeek
    new_cases: list[Case]
    changes: list[Change]
    history: list[WeekCount]  # oldest first, this week last
    # Possible cases first seen this week (compute evidence short of a case), outside any case: "to check",
    # shown apart from the cases, by (first_seen, id); labelled P1, P2 … (`candidate_label`).
    to_check: list[NoticeRecord] = field(default_factory=list)
    by: str = "first_seen"  # one of CLOCKS

    def candidate_label(self, record: NoticeRecord) -> str:
        return f"P{self.to_check.index(record) + 1}"

    @property
    def zone(self) -> str:
        """The zone of the week's bounds and of its moments (`Case.opened`, `Event.at`): the digest's clock."""
        return "UTC" if self.by == "first_seen" else "UTC+08:00"

    def utc(self, at: datetime) -> datetime:
        """A moment by the digest's clock (an event's time) as naive UTC, for time stamps: publication times
        are China local."""
        return at if self.by == "first_seen" else at - CHINA_AHEAD

    @property
    def is_empty(self) -> bool:
        return not self.new_cases and not self.changes

    @property
    def this_week(self) -> WeekCount:
        return self.history[-1]

    @property
    def previous(self) -> list[WeekCount]:
        return self.history[-1 - COMPARE_WEEKS : -1]

    @property
    def previous_average(self) -> float:
        prev = self.previous
        return sum(w.cases for w in prev) / len(prev) if prev else 0.0

    @property
    def provider_groups(self) -> list[tuple[str, list[Case]]]:
        """New cases partitioned by the set of providers they name; most cases first, unnamed last."""
        groups: dict[str, list[Case]] = defaultdict(list)
        for case in self.new_cases:
            groups[case.provider_group].append(case)
        return sorted(groups.items(), key=lambda g: (g[0] == NO_PROVIDER, -len(g[1]), g[0]))

    def groups(self, facet: str) -> list[Group]:
        """This week's cases (new and changed) by provider, chip or buyer; a case counts under each value."""
        out: dict[str, Group] = {}
        values = {
            "provider": lambda c: c.providers,
            "chip": lambda c: c.chips,
            "buyer": lambda c: [c.buyer] if c.buyer else [],
        }[facet]
        for case in self.new_cases:
            for v in values(case):
                out.setdefault(v, Group(facet, v, [], [])).new.append(case)
        for change in self.changes:
            for v in values(change.case):
                out.setdefault(v, Group(facet, v, [], [])).changed.append(change.case)
        return sorted(out.values(), key=lambda g: (-(len(g.new) + len(g.changed)), g.value))

    @property
    def kind_totals(self) -> dict[str, int]:
        return dict(self.this_week.by_kind)

    @property
    def event_totals(self) -> dict[str, int]:
        counts = Counter(e.kind for c in self.changes for e in c.events)
        return {k: counts[k] for k in EVENT_ORDER if counts[k]}


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(values), BATCH):
        yield values[i : i + BATCH]


def moment(by: str, published_at: Optional[datetime], first_seen: datetime) -> datetime:
    """What puts a notice in a week: when it was first seen (UTC), or its publication date (China local time;
    a notice that states none: its first-seen time in China local time, so a publication week is one clock)."""
    if by == "first_seen":
        return first_seen
    return published_at or china_local(first_seen.replace(tzinfo=timezone.utc))


def notice_moment(r: NoticeRecord, by: str) -> datetime:
    return moment(by, r.published_at, r.first_seen)


def before(by: str, end: datetime, start: Optional[datetime] = None) -> sa.ColumnElement[bool]:
    """The notices whose `moment` is before `end` (and from `start` on): stored first-seen times are UTC, so an
    undated notice's publication bound is shifted to UTC."""
    if by not in CLOCKS:
        raise ValueError(f"unknown digest clock {by!r}; known: {', '.join(CLOCKS)}")
    n = NOTICE.c

    def within(column: Any, shift: timedelta = timedelta(0)) -> sa.ColumnElement[bool]:
        return sa.and_(column < end - shift, *([column >= start - shift] if start is not None else []))

    if by == "first_seen":
        return within(n.first_seen)
    return sa.or_(within(n.published_at), sa.and_(n.published_at.is_(None), within(n.first_seen, CHINA_AHEAD)))


def build_digest(db: sa.Connection | Session, week: IsoWeek, *, history_weeks: int = HISTORY_WEEKS,
                 by: str = "first_seen") -> Digest:
    """The digest of `week` (`db`: a connection, or an ORM Session whose connection is used)."""
    conn = connection_of(db)
    n = NOTICE.c
    start, end = week.start, week.end
    first_week = week.shift(-(history_weeks - 1))
    hist_start = first_week.start
    columns = (n.id, n.procurement_key, n.published_at, n.first_seen, n.remote_compute, n.notice_type)

    # Light rows of every notice first seen (or published) in the chart's window.
    light: dict[int, tuple[Optional[str], datetime, bool, Optional[str]]] = {}
    rows = conn.execute(sa.select(*columns).where(before(by, end, hist_start))).all()
    for nid, key, published, seen, rc, ntype in rows:
        light[nid] = (key, moment(by, published, seen), bool(rc), ntype)

    # Pages of older notices re-fetched with new content this week (a fetch time: first-seen digests only).
    revisions: dict[int, tuple[datetime, str]] = {}
    for nid, key, published, seen, rc, ntype, fetched, chash in conn.execute(
        sa.select(*columns, VERSION.c.fetched_at, VERSION.c.content_hash)
        .join(VERSION, VERSION.c.notice_id == n.id)
        .where(VERSION.c.fetched_at >= start, VERSION.c.fetched_at < end, before(by, start))
    ).all() if by == "first_seen" else ():
        light[nid] = (key, moment(by, published, seen), bool(rc), ntype)
        if nid not in revisions or (fetched, chash) > revisions[nid]:
            revisions[nid] = (fetched, chash)

    # Complete the procurements touched above with their members first seen earlier (before the window).
    keys = sorted({key for key, *_ in light.values() if key})
    for chunk in _chunks(keys):
        for nid, key, published, seen, rc, ntype in conn.execute(
            sa.select(*columns).where(n.procurement_key.in_(chunk), before(by, end))
        ).all():
            light[nid] = (key, moment(by, published, seen), bool(rc), ntype)

    # Reviewers' newest decisions, as on the site's case list: a rejected notice is no case; a confirmed one
    # is a case although the extractor does not call it one (promoted).
    decided = decisions(conn)
    light = {nid: (key, seen, is_case(rc, decided.get(nid)), ntype)
             for nid, (key, seen, rc, ntype) in light.items()}

    members: dict[str, list[int]] = defaultdict(list)
    for nid, (key, seen, rc, ntype) in light.items():
        members[key or f"notice-{nid}"].append(nid)
    for ids in members.values():
        ids.sort(key=lambda i: (light[i][1], i))
    compute_keys = {k for k, ids in members.items() if any(light[i][2] for i in ids)}

    # Kinds per case, for the chart.
    compute_ids = sorted(i for k in compute_keys for i in members[k] if light[i][2])
    kinds_of: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(compute_ids):
        for nid, value in conn.execute(
            sa.select(TAG.c.notice_id, TAG.c.value).where(TAG.c.notice_id.in_(chunk), TAG.c.facet == "kind")
        ).all():
            kinds_of[nid].add(value)

    history = [WeekCount(first_week.shift(i)) for i in range(history_weeks)]
    new_keys, changed_keys = [], []
    for key in sorted(compute_keys):
        ids = members[key]
        case_seen = light[ids[0]][1]
        if case_seen >= hist_start:
            count = history[(IsoWeek.of(case_seen.date()).monday - first_week.monday).days // 7]
            count.cases += 1
            for kind in {k for i in ids if light[i][2] for k in kinds_of[i]}:
                count.by_kind[kind] = count.by_kind.get(kind, 0) + 1
        if case_seen >= start:
            new_keys.append(key)
        elif any(light[i][1] >= start for i in ids) or any(i in revisions for i in ids):
            changed_keys.append(key)

    wanted = sorted({i for k in new_keys + changed_keys for i in members[k]})
    records: dict[int, NoticeRecord] = {}
    for chunk in _chunks(wanted):
        for r in load_records(conn, chunk, with_text=True):
            records[r.id] = r

    def case_of(key: str) -> Case:
        notices = [records[i] for i in members[key] if i in records]
        return Case(key=key, first_seen=min(n.first_seen for n in notices), notices=notices,
                    opened=notice_moment(notices[0], by))

    new_cases = [case_of(k) for k in new_keys]
    changes = []
    for key in changed_keys:
        case = case_of(key)
        events = [
            Event(EVENT_BY_TYPE.get(n.notice_type or "", "new notice"), notice_moment(n, by), n)
            for n in case.notices if notice_moment(n, by) >= start
        ]
        events += [
            Event("revised", revisions[n.id][0], n, revisions[n.id][1]) for n in case.notices if n.id in revisions
        ]
        events.sort(key=lambda e: (e.at, EVENT_ORDER.index(e.kind), e.notice.id))
        changes.append(Change(case, events))

    # Possible cases of the week, unless their procurement is a case (then the case already shows them).
    candidates = [(nid, key, moment(by, published, seen)) for nid, key, published, seen in conn.execute(
        sa.select(n.id, n.procurement_key, n.published_at, n.first_seen)
        .where(n.compute_candidate.is_(True), before(by, end, start))
    )]
    to_check_ids = [nid for nid, key, _ in sorted(candidates, key=lambda r: (r[2], r[0]))
                    if (key or f"notice-{nid}") not in compute_keys and decided.get(nid) != "rejected"]  # rejected: checked
    to_check = [r for chunk in _chunks(to_check_ids) for r in load_records(conn, chunk, with_text=True)]

    # Reading order: new cases by provider group, then changes by their first event; numbered in that order.
    digest = Digest(week, new_cases, changes, history, to_check, by)
    ordered = [c for _, cases in digest.provider_groups
               for c in sorted(cases, key=lambda c: (c.opened, c.key))]
    digest.new_cases = ordered
    digest.changes.sort(key=lambda ch: (ch.events[0].at, ch.case.key))
    for number, case in enumerate(ordered + [ch.case for ch in digest.changes], 1):
        case.number = number
    return digest
