"""Screening lists: import the US Consolidated Screening List (its CSV and JSON as trade.gov publishes them)
and OpenSanctions `targets.simple.csv`, and find the organisations whose names match a listed entity.

Every match is a *candidate* for a person to confirm, stored with its score and reason: the organisation's
name is the entry's name or one of its alt_names (exact, case/punctuation/spacing ignored), the alias file
maps the organisation's Chinese name to the entry (storage/screening_aliases.toml, extended by
<data dir>/screening_aliases.toml and --aliases), or the names score at least the threshold under rapidfuzz's
token_sort_ratio after legal forms are removed (storage/screening.toml says why that scorer). An organisation
is matched under its own name and under the name it resolves to (storage/orgs.py: a branch under its
parent, 有限责任公司 as 有限公司), so every row of a resolved organisation carries its own hits.

When matches are computed: at import, for the list imported, against every organisation; `refresh` computes
them again for every list (after new organisations arrive, or the alias file changed). Each list records the
highest organisation id it was matched through, so readers can say how many organisations are not yet
screened (`unscreened`). Re-importing a list by its name replaces its entries and matches, unless the stored
version is newer (then `force`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import sqlalchemy as sa

from models.tables import ENTRY, LIST, MATCH, NOTICE, ORG, PARTY, utcnow
from storage.db import is_row_id
from storage.orgs import canonical_id, canonical_ids, members, resolution_key


REPO_ALIASES = Path(__file__).with_name("screening_aliases.toml")
USER_ALIASES = "screening_aliases.toml"  # in the data dir
REASON_ORDER = ("exact_name", "exact_alt_name", "alias_file", "fuzzy")  # the first that applies is kept

CSL_COLUMNS = {"_id", "source", "name", "alt_names", "programs"}
OPENSANCTIONS_COLUMNS = {"id", "schema", "name", "aliases", "dataset"}
FORMAT_LABELS = {"csl-csv": "Consolidated Screening List CSV", "csl-json": "Consolidated Screening List JSON",
                 "opensanctions-csv": "OpenSanctions targets.simple.csv"}
DEFAULT_NAMES = {"csl": "US Consolidated Screening List", "opensanctions": "OpenSanctions"}
DEFAULT_SOURCES = {"csl": "International Trade Administration, trade.gov Consolidated Screening List",
                   "opensanctions": "OpenSanctions, opensanctions.org"}


class ScreeningError(ValueError):
    """A list file or alias file that cannot be read, or an import that must not happen; one line for the user."""


# ---------------------------------------------------------------------- rules and names
@dataclass(frozen=True)
class Rules:
    threshold: float
    min_length: dict[str, int]
    skip_types: frozenset[str]
    latin_forms: frozenset[str]
    cjk_forms: tuple[str, ...]
    reasons: dict[str, str]


@lru_cache(maxsize=1)
def rules() -> Rules:
    data = tomllib.loads(Path(__file__).with_name("screening.toml").read_text(encoding="utf-8"))
    return Rules(float(data["fuzzy_threshold"]), dict(data["fuzzy_min_length"]),
                 frozenset(t.lower() for t in data["skip_types"]), frozenset(data["latin_legal_forms"]),
                 tuple(sorted(data["cjk_legal_forms"], key=len, reverse=True)), dict(data["reasons"]))


def reason_text(reason: str) -> str:
    return rules().reasons.get(reason, reason)


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NON_WORD = re.compile(r"[^\w]+|_")


def exact_key(name: str | None) -> str:
    """A name for exact comparison: NFKC, case-folded, letters and digits only (CJK included)."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", name or "").casefold() if ch.isalnum())


def fuzzy_key(name: str | None) -> tuple[str, str]:
    """(script, the name for fuzzy scoring): legal forms removed — Latin as words, CJK at the end."""
    r = rules()
    text = unicodedata.normalize("NFKC", name or "").casefold()
    if _CJK.search(text):
        key = _NON_WORD.sub("", text)
        for form in r.cjk_forms:
            if key.endswith(form) and len(key) > len(form):
                key = key[: -len(form)]
                break
        return "cjk", key
    words = [w for w in _NON_WORD.sub(" ", text).split() if w not in r.latin_forms]
    return "latin", " ".join(words)


# ---------------------------------------------------------------------- reading list files
@dataclass
class ParsedList:
    format: str  # csl-csv | csl-json | opensanctions-csv
    entries: list[dict[str, Any]]
    list_date: datetime | None = None  # as the file states it (None: it does not)
    sha256: str = ""

    @property
    def family(self) -> str:
        return self.format.split("-")[0]


def _split(value: Any, sep: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(sep) if v.strip()]


def _addresses(value: Any) -> str:
    if isinstance(value, list):  # CSL JSON: [{"address", "city", "state", "postal_code", "country"}]
        parts = []
        for a in value:
            if isinstance(a, dict):
                parts.append(", ".join(str(a[k]) for k in ("address", "city", "state", "postal_code", "country")
                                       if a.get(k)))
            elif a:
                parts.append(str(a))
        return "; ".join(p for p in parts if p)
    return str(value or "").strip()


def _countries(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(sorted({a.get("country", "") for a in value if isinstance(a, dict) and a.get("country")}))
    return ""


def _csl_entry(row: dict[str, Any]) -> dict[str, Any]:
    known = {"_id", "id", "source", "type", "programs", "name", "alt_names", "addresses", "start_date",
             "source_list_url"}
    details = {k: v for k, v in row.items() if k not in known and v not in (None, "", [])}
    return {
        "entry_key": str(row.get("_id") or row.get("id") or row.get("entity_number") or ""),
        "name": str(row.get("name") or "").strip(),
        "alt_names": _split(row.get("alt_names"), ";"),
        "entity_type": str(row.get("type") or ""),
        "programs": "; ".join(_split(row.get("programs"), ";")),
        "sublist": str(row.get("source") or ""),
        "addresses": _addresses(row.get("addresses")),
        "countries": _countries(row.get("addresses")),
        "start_date": str(row.get("start_date") or ""),
        "source_list_url": str(row.get("source_list_url") or ""),
        "details": details or None,
    }


def _opensanctions_entry(row: dict[str, str]) -> dict[str, Any]:
    return {
        "entry_key": row.get("id", ""),
        "name": (row.get("name") or "").strip(),
        "alt_names": _split(row.get("aliases"), ";"),
        "entity_type": row.get("schema", ""),
        "programs": (row.get("sanctions") or "").strip(),
        "sublist": "; ".join(_split(row.get("dataset"), ";")),
        "addresses": (row.get("addresses") or "").strip(),
        "countries": "; ".join(_split(row.get("countries"), ";")),
        "start_date": row.get("first_seen", "") or "",
        "source_list_url": "",
        "details": {k: row[k] for k in ("identifiers", "birth_date", "phones", "emails", "last_seen", "last_change")
                    if row.get(k)} or None,
    }


def _moment(text: Any) -> datetime | None:
    text = str(text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def read_list(path: Path) -> ParsedList:
    """A list file, its format told by its content (not its name)."""
    raw = Path(path).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScreeningError(f"{path}: not UTF-8 text, so not a screening list file") from None
    what = f"{path}: not a Consolidated Screening List (CSV or JSON) or OpenSanctions targets.simple.csv"
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScreeningError(f"{what} (not valid JSON: line {exc.lineno}: {exc.msg})") from None
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or not all(isinstance(r, dict) and r.get("name") for r in results):
            raise ScreeningError(f"{what} (JSON without results[] of named entries)")
        updated = [_moment(s.get("source_last_updated")) for s in data.get("sources_used") or [] if isinstance(s, dict)]
        updated = [u for u in updated if u]
        return ParsedList("csl-json", [_csl_entry(r) for r in results], max(updated) if updated else None, digest)
    try:
        rows = list(csv.DictReader(io.StringIO(text)))
        header = {h.strip() for h in next(csv.reader(io.StringIO(text)), [])}
    except csv.Error as exc:
        raise ScreeningError(f"{what} ({exc})") from None
    if CSL_COLUMNS <= header:
        return ParsedList("csl-csv", [_csl_entry(r) for r in rows if (r.get("name") or "").strip()], None, digest)
    if OPENSANCTIONS_COLUMNS <= header:
        entries = [_opensanctions_entry(r) for r in rows if (r.get("name") or "").strip()]
        changed = [m for m in (_moment(r.get("last_change") or r.get("last_seen")) for r in rows) if m]
        return ParsedList("opensanctions-csv", entries, max(changed) if changed else None, digest)
    shown = ", ".join(sorted(header))[:120] or "empty"
    raise ScreeningError(f"{what} (its header: {shown})")


# ---------------------------------------------------------------------- the alias file
@dataclass(frozen=True)
class Alias:
    chinese: str
    listed: str
    file: str


def load_aliases(extra: Iterable[Path] = ()) -> dict[str, list[Alias]]:
    """exact_key(Chinese name) → what it is listed as: the repo's file, the data dir's, then `extra`."""
    from storage.config import data_dir

    files = [REPO_ALIASES, data_dir() / USER_ALIASES, *extra]
    out: dict[str, list[Alias]] = {}
    for i, path in enumerate(files):
        if i == 1 and not path.is_file():
            continue
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ScreeningError(f"{path}: not a valid alias file ({exc})") from None
        table = data.get("aliases")
        if not isinstance(table, dict):
            raise ScreeningError(f'{path}: an alias file has an [aliases] table of "中文名" = ["Listed name", …]')
        label = "the repo's alias file" if i == 0 else str(path)
        for chinese, listed in table.items():
            names = [listed] if isinstance(listed, str) else listed
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ScreeningError(f"{path}: {chinese!r} must map to a name or a list of names")
            out.setdefault(exact_key(chinese), []).extend(Alias(chinese, n, label) for n in names)
    return out


# ---------------------------------------------------------------------- importing
def import_list(conn: sa.Connection, parsed: ParsedList, *, name: str | None = None, list_date: date | None = None,
                source: str | None = None, file_name: str = "", force: bool = False,
                aliases: Iterable[Path] = ()) -> dict[str, Any]:
    """Store a list (replacing the entries of the stored list of that name) and match it. `list_date`: the
    version's date when the file does not say it (else the file's own date wins unless given)."""
    name = (name or DEFAULT_NAMES[parsed.family]).strip()
    moment = datetime.combine(list_date, datetime.min.time()) if list_date else parsed.list_date
    if moment is None:
        moment = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    if not parsed.entries:
        raise ScreeningError(f"{file_name or 'the file'}: no entries")
    alias_map = load_aliases(aliases)  # read before writing anything: a bad alias file changes nothing
    stored = conn.execute(sa.select(LIST.c.id, LIST.c.list_date, LIST.c.sha256).where(LIST.c.name == name)).first()
    if stored is not None and stored.list_date and stored.list_date > moment and not force:
        raise ScreeningError(f"the stored {name!r} is dated {stored.list_date:%Y-%m-%d}, newer than this file "
                             f"({moment:%Y-%m-%d}); --force imports it anyway")
    values = dict(name=name, list_date=moment, format=parsed.format, file_name=file_name, sha256=parsed.sha256,
                  source=source or DEFAULT_SOURCES[parsed.family] + (f" ({file_name})" if file_name else ""),
                  entries=len(parsed.entries), imported_at=utcnow(), matched_at=None, matched_through=0)
    if stored is None:
        list_id = conn.execute(LIST.insert().values(**values)).inserted_primary_key[0]
        replaced = 0
    else:
        list_id = stored.id
        replaced = _delete_entries(conn, list_id)
        conn.execute(LIST.update().where(LIST.c.id == list_id).values(**values))
    for chunk in _chunks(parsed.entries, 500):
        conn.execute(ENTRY.insert(), [{"list_id": list_id, **e} for e in chunk])
    found = match_lists(conn, [list_id], alias_map)
    return {"list": name, "id": list_id, "format": parsed.format, "list_date": moment, "entries": len(parsed.entries),
            "replaced": replaced, "matches": found}


def _delete_entries(conn: sa.Connection, list_id: int) -> int:
    ids = sa.select(ENTRY.c.id).where(ENTRY.c.list_id == list_id).scalar_subquery()
    conn.execute(MATCH.delete().where(MATCH.c.entry_id.in_(ids)))
    return conn.execute(ENTRY.delete().where(ENTRY.c.list_id == list_id)).rowcount


def refresh(conn: sa.Connection, aliases: Iterable[Path] = ()) -> int:
    """Match every stored list again, against every organisation. Returns the number of candidates."""
    list_ids = list(conn.execute(sa.select(LIST.c.id).order_by(LIST.c.id)).scalars())
    return match_lists(conn, list_ids, load_aliases(aliases)) if list_ids else 0


# ---------------------------------------------------------------------- matching
@dataclass
class _Candidate:
    reason: str
    score: float
    detail: str


@dataclass
class _Index:
    exact: dict[str, list[tuple[int, str, str]]] = field(default_factory=dict)  # key → (entry, reason, name)
    fuzzy: dict[str, tuple[list[str], list[tuple[int, str]]]] = field(default_factory=dict)  # script → keys, (entry, name)


def _index(conn: sa.Connection, list_ids: list[int]) -> _Index:
    r = rules()
    index = _Index(fuzzy={"cjk": ([], []), "latin": ([], [])})
    rows = conn.execute(sa.select(ENTRY.c.id, ENTRY.c.name, ENTRY.c.alt_names, ENTRY.c.entity_type)
                        .where(ENTRY.c.list_id.in_(list_ids)))
    for entry_id, name, alts, etype in rows:
        if (etype or "").lower() in r.skip_types:
            continue
        for listed, reason in [(name, "exact_name")] + [(a, "exact_alt_name") for a in alts or []]:
            key = exact_key(listed)
            if not key:
                continue
            index.exact.setdefault(key, []).append((entry_id, reason, listed))
            script, fkey = fuzzy_key(listed)
            if len(fkey.replace(" ", "")) >= r.min_length[script]:
                index.fuzzy[script][0].append(fkey)
                index.fuzzy[script][1].append((entry_id, listed))
    return index


def _org_names(conn: sa.Connection) -> tuple[list[tuple[int, list[str]]], int]:
    """Each organisation row with the names it is matched under (its own; the name it resolves to)."""
    out = []
    top = 0
    for oid, name in conn.execute(sa.select(ORG.c.id, ORG.c.name)):
        top = max(top, oid)
        names = [name] if name else []
        resolved = resolution_key(name).key if name else ""
        if resolved and exact_key(resolved) != exact_key(name):
            names.append(resolved)
        out.append((oid, names))
    return out, top


def match_lists(conn: sa.Connection, list_ids: list[int], alias_map: dict[str, list[Alias]]) -> int:
    """(Re)compute the candidates of these lists against every organisation. Returns their number."""
    from rapidfuzz import fuzz, process

    r = rules()
    index = _index(conn, list_ids)
    orgs, top = _org_names(conn)
    found: dict[tuple[int, int], _Candidate] = {}

    def add(oid: int, entry_id: int, cand: _Candidate) -> None:
        old = found.get((oid, entry_id))
        if old is None or (REASON_ORDER.index(cand.reason), -cand.score) < (REASON_ORDER.index(old.reason), -old.score):
            found[(oid, entry_id)] = cand

    fuzzy_queries: dict[str, list[tuple[int, str, str]]] = {"cjk": [], "latin": []}
    for oid, names in orgs:
        for org_name in names:
            key = exact_key(org_name)
            for entry_id, reason, listed in index.exact.get(key, ()):
                add(oid, entry_id, _Candidate(reason, 100.0, f"{org_name} = {listed}"))
            for alias in alias_map.get(key, ()):
                for entry_id, _, listed in index.exact.get(exact_key(alias.listed), ()):
                    add(oid, entry_id, _Candidate("alias_file", 100.0,
                                                  f"{org_name} → {alias.listed} ({alias.file}); listed as {listed}"))
            script, fkey = fuzzy_key(org_name)
            if len(fkey.replace(" ", "")) >= r.min_length[script]:
                fuzzy_queries[script].append((oid, org_name, fkey))
    for script, queries in fuzzy_queries.items():
        keys, entries = index.fuzzy[script]
        if not queries or not keys:
            continue
        scores = process.cdist([q[2] for q in queries], keys, scorer=fuzz.token_sort_ratio,
                               score_cutoff=r.threshold, dtype="float32", workers=1)
        for qi, ei in zip(*scores.nonzero()):
            oid, org_name, _ = queries[qi]
            entry_id, listed = entries[ei]
            score = round(float(scores[qi, ei]), 1)
            add(oid, entry_id, _Candidate("fuzzy", score, f"{org_name} ~ {listed} ({score:g})"))

    ids = sa.select(ENTRY.c.id).where(ENTRY.c.list_id.in_(list_ids)).scalar_subquery()
    conn.execute(MATCH.delete().where(MATCH.c.entry_id.in_(ids)))
    now = utcnow()
    rows = [{"organisation_id": oid, "entry_id": eid, "score": c.score, "reason": c.reason, "detail": c.detail,
             "matched_at": now} for (oid, eid), c in sorted(found.items())]
    for chunk in _chunks(rows, 500):
        conn.execute(MATCH.insert(), chunk)
    conn.execute(LIST.update().where(LIST.c.id.in_(list_ids)).values(matched_at=now, matched_through=top))
    return len(rows)


# ---------------------------------------------------------------------- reading
def lists(conn: sa.Connection) -> list[dict[str, Any]]:
    """The imported lists, with how many candidates each has."""
    counts = dict(conn.execute(sa.select(ENTRY.c.list_id, sa.func.count(MATCH.c.id))
                               .join(MATCH, MATCH.c.entry_id == ENTRY.c.id).group_by(ENTRY.c.list_id)).all())
    rows = conn.execute(sa.select(LIST).order_by(LIST.c.name)).mappings().all()
    return [{"id": r["id"], "name": r["name"], "date": r["list_date"], "source": r["source"], "format": r["format"],
             "file": r["file_name"], "entries": r["entries"], "imported_at": r["imported_at"],
             "matched_at": r["matched_at"], "matched_through": r["matched_through"], "matches": counts.get(r["id"], 0)}
            for r in rows]


def unscreened(conn: sa.Connection) -> int:
    """Organisations added since the least recently matched list was matched (0 without lists)."""
    through = conn.execute(sa.select(sa.func.min(LIST.c.matched_through))).scalar()
    if through is None:
        return 0
    return conn.execute(sa.select(sa.func.count()).select_from(ORG).where(ORG.c.id > through)).scalar_one()


def _hit_rows(conn: sa.Connection, where) -> list[dict[str, Any]]:
    stmt = (
        sa.select(MATCH.c.organisation_id, ORG.c.name.label("organisation_name"), MATCH.c.score, MATCH.c.reason,
                  MATCH.c.detail, ENTRY.c.id.label("entry_id"), ENTRY.c.entry_key, ENTRY.c.name.label("entry_name"),
                  ENTRY.c.alt_names, ENTRY.c.entity_type, ENTRY.c.programs, ENTRY.c.sublist, ENTRY.c.addresses,
                  ENTRY.c.countries, ENTRY.c.start_date, ENTRY.c.source_list_url, LIST.c.name.label("list_name"),
                  LIST.c.list_date, LIST.c.source.label("list_source"))
        .join(ORG, ORG.c.id == MATCH.c.organisation_id)
        .join(ENTRY, ENTRY.c.id == MATCH.c.entry_id)
        .join(LIST, LIST.c.id == ENTRY.c.list_id)
        .where(where)
        .order_by(MATCH.c.organisation_id, REASON_CASE, MATCH.c.score.desc(), LIST.c.name, ENTRY.c.name)
    )
    return [_hit(r) for r in conn.execute(stmt).mappings()]


REASON_CASE = sa.case({r: i for i, r in enumerate(REASON_ORDER)}, value=MATCH.c.reason, else_=len(REASON_ORDER))


def _hit(r) -> dict[str, Any]:
    return {
        "organisation_id": r["organisation_id"], "organisation_name": r["organisation_name"],
        "list": {"name": r["list_name"], "date": r["list_date"], "source": r["list_source"]},
        "entry": {"id": r["entry_id"], "key": r["entry_key"], "name": r["entry_name"],
                  "alt_names": list(r["alt_names"] or []), "type": r["entity_type"], "programs": r["programs"],
                  "sublist": r["sublist"], "addresses": r["addresses"], "countries": r["countries"],
                  "start_date": r["start_date"], "source_list_url": r["source_list_url"]},
        "score": r["score"], "reason": r["reason"], "reason_text": reason_text(r["reason"]), "detail": r["detail"],
        "status": "candidate",  # for a person to confirm: a name match is not an identification
    }


def hits_for(conn: sa.Connection, org_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """organisation row id → its candidate hits (only rows with hits)."""
    out: dict[int, list[dict[str, Any]]] = {}
    for chunk in _chunks(sorted(set(org_ids)), 900):
        for h in _hit_rows(conn, MATCH.c.organisation_id.in_(chunk)):
            out.setdefault(h["organisation_id"], []).append(h)
    return out


def organisation_hits(conn: sa.Connection, org_id: int) -> list[dict[str, Any]]:
    """The hits of an organisation as the site shows it: its own rows' and its aliases'."""
    ids = members(conn, canonical_id(conn, org_id) or org_id)
    hits = hits_for(conn, ids)
    return [h for oid in ids for h in hits.get(oid, [])]


def matches(conn: sa.Connection) -> dict[str, Any]:
    """Every organisation with candidate hits, the lists, and how many organisations are not yet screened."""
    by_org: dict[int, dict[str, Any]] = {}
    for h in _hit_rows(conn, sa.true()):
        org = by_org.setdefault(h["organisation_id"], {"id": h["organisation_id"], "name": h["organisation_name"],
                                                       "hits": []})
        org["hits"].append({k: v for k, v in h.items() if k not in ("organisation_id", "organisation_name")})
    shown = canonical_ids(conn, by_org)
    for oid, org in by_org.items():
        org["shown_as"] = shown.get(oid, oid)
    return {"lists": lists(conn), "unscreened": unscreened(conn),
            "organisations": sorted(by_org.values(), key=lambda o: (-max(h["score"] for h in o["hits"]), o["id"]))}


def notice_hits(conn: sa.Connection, notice_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """notice id → the hits of its buyer, agency and vendors (only notices with hits), each with its role."""
    out: dict[int, list[dict[str, Any]]] = {}
    ids = {i for i in notice_ids if is_row_id(conn.dialect.name, i)}  # an id past the backend's range is no notice
    for chunk in _chunks(sorted(ids), 900):
        parties = set(conn.execute(sa.select(PARTY.c.notice_id, PARTY.c.organisation_id, PARTY.c.role)
                                   .where(PARTY.c.notice_id.in_(chunk))).all())
        for nid, buyer, agency in conn.execute(sa.select(NOTICE.c.id, NOTICE.c.buyer_id, NOTICE.c.agency_id)
                                               .where(NOTICE.c.id.in_(chunk))):
            parties |= {(nid, oid, role) for oid, role in ((buyer, "buyer"), (agency, "agency")) if oid}
        hits = hits_for(conn, {oid for _, oid, _ in parties})
        for nid, oid, role in sorted(parties):
            for h in hits.get(oid, []):
                out.setdefault(nid, []).append({**h, "role": role})
    return out


def notice_screening(conn: sa.Connection, notice_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """notice id → its parties' hits as plain JSON values (exports, the digest): who, which entry, the list's
    name, date and source, score and reason."""
    return {nid: [{"organisation_id": h["organisation_id"], "organisation": h["organisation_name"], "role": h["role"],
                   "entry": h["entry"]["name"], "programs": h["entry"]["programs"], "sublist": h["entry"]["sublist"],
                   "list": h["list"]["name"], "list_date": h["list"]["date"].date().isoformat() if h["list"]["date"] else None,
                   "list_source": h["list"]["source"], "score": h["score"], "reason": h["reason"], "status": h["status"]}
                  for h in hits]
            for nid, hits in notice_hits(conn, notice_ids).items()}


def hit_summary(hit: dict[str, Any]) -> str:
    """One line for a CSV cell or a digest: a `notice_screening` hit."""
    return (f"{hit['organisation']} ({hit['role']}) ~ {hit['entry']} — {hit['list']} {hit['list_date'] or ''}, "
            f"{hit['list_source']}; score {hit['score']:g}, {hit['reason']}, candidate")


# Search: the notices whose buyer, agency or a vendor has a candidate hit (each arm on an indexed column).
# The (few) matched organisations drive: SQLite, left to choose, scanned every party and notice row (0.3 s at a
# million notices, in every search's facets and hits, with no organisation matched).
SCREENED_NOTICE_IDS_SQL = (
    "SELECT p.notice_id FROM screening_match s CROSS JOIN noticeparty p WHERE p.organisation_id = s.organisation_id"
    " UNION SELECT sn.id FROM screening_match s CROSS JOIN notice sn WHERE sn.buyer_id = s.organisation_id"
    " UNION SELECT sn.id FROM screening_match s CROSS JOIN notice sn WHERE sn.agency_id = s.organisation_id"
)


def _chunks(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]
