"""The database tables, shared by crawler, storage, web and digest.

One row of `Notice` is one notice page at one canonical URL; its derived columns (type, buyer, amounts,
compute findings …) are rebuilt from the stored raw bytes by `tenderwatch reextract`. Facets that need
counting (providers, chips, kinds, flags, vendors) live in small join tables so both SQLite and
PostgreSQL can group them with plain SQL.
"""

from datetime import datetime, timezone
from typing import Any, Optional

from pydantic import NaiveDatetime
from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# Timestamps are stored naive: first_seen/last_seen/fetched_at … are UTC (utcnow); published_at and
# bid_deadline are the China-local time printed on the notice. (SQLModel maps a bare `datetime` to an
# aware UTC type that rejects naive values.)


class Source(SQLModel, table=True):
    """A site or local collection notices come from (ccgp, ggzy, zcy, cebpub, local …)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    title: str = ""
    base_url: Optional[str] = None


class Organisation(SQLModel, table=True):
    """A buyer, agency or vendor, keyed by its normalised name (full-width folded, spaces removed)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    normalised_name: str = Field(unique=True, index=True)


class Notice(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("url", name="uq_notice_url"),
        # Search reads these for facets and filters without touching the wide row (storage/search).
        Index("ix_notice_search_columns", "id", "published_at", "buyer_id", "notice_type", "region", "remote_compute"),
        Index(
            "ix_notice_cases_published", "published_at",
            sqlite_where=text("remote_compute = 1"), postgresql_where=text("remote_compute"),
        ),
        Index(
            "ix_notice_candidates_published", "published_at",
            sqlite_where=text("compute_candidate = 1"), postgresql_where=text("compute_candidate"),
        ),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    url: str  # canonical URL; for local files "file://…" or "local:<sha256>"
    external_id: Optional[str] = Field(default=None, index=True)  # the site's own id, where it has one
    title: str = ""
    notice_type: Optional[str] = Field(default=None, index=True)  # tender award correction cancellation contract intention other
    published_at: Optional[NaiveDatetime] = Field(default=None, index=True)
    bid_deadline: Optional[NaiveDatetime] = None
    region: Optional[str] = Field(default=None, index=True)
    project_code: Optional[str] = Field(default=None, index=True)  # primary 项目编号
    buyer_id: Optional[int] = Field(default=None, foreign_key="organisation.id", index=True)
    agency_id: Optional[int] = Field(default=None, foreign_key="organisation.id", index=True)
    text: str = ""  # body text as extracted; evidence offsets point into it
    content_hash: str = Field(index=True)  # sha256 of the normalised body text (page chrome excluded)
    raw_sha256: Optional[str] = None  # content-addressed raw bytes under the data folder
    raw_content_type: Optional[str] = None
    raw_name: str = ""  # file name hint the raw bytes came with (reextract hands it back to read_document)
    list_meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # what the list page said
    first_seen: NaiveDatetime = Field(default_factory=utcnow, index=True)
    last_seen: NaiveDatetime = Field(default_factory=utcnow)
    last_changed: NaiveDatetime = Field(default_factory=utcnow)
    # Derived by extraction (rebuilt by reextract).
    extractor_version: Optional[str] = None
    remote_compute: bool = Field(default=False, index=True)
    hardware_purchase: bool = False
    # A possible case (issue 12): compute evidence short of a case; never set together with remote_compute.
    compute_candidate: bool = Field(default=False)
    candidate_score: Optional[float] = None
    candidate_reasons: list[str] = Field(default_factory=list, sa_column=Column(JSON))  # why it fell short
    procurement_key: Optional[str] = Field(default=None, index=True)  # links tender → correction → award …
    # near-duplicate detection across sources; 64-bit, so BIGINT on PostgreSQL
    simhash: Optional[int] = Field(default=None, sa_column=Column(BigInteger, index=True))


class NoticeVersion(SQLModel, table=True):
    """Every distinct content a notice URL has had; the newest equals the Notice row."""

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    content_hash: str
    raw_sha256: Optional[str] = None
    title: str = ""
    # An earlier version's body text. The newest version's (highest id) is "": its text is the Notice row's,
    # stored once (a notice's text is its largest column); a change moves it here before replacing it.
    text: str = ""
    fetched_at: NaiveDatetime = Field(default_factory=utcnow)


class NoticeLink(SQLModel, table=True):
    """Another place the same notice was published (ccgp and ggzy both republish)."""

    __table_args__ = (UniqueConstraint("url", name="uq_noticelink_url"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    source: str
    url: str
    first_seen: NaiveDatetime = Field(default_factory=utcnow)


class Attachment(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("notice_id", "url", name="uq_attachment_notice_url"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    url: str
    name: str = ""
    sha256: Optional[str] = None  # raw bytes in the blob store
    size: Optional[int] = None
    content_type: Optional[str] = None
    text: str = ""
    status: str = "ok"  # ok, needs_ocr, encrypted, corrupt, too_large, unsupported, fetch_error, converter_*
    error: Optional[str] = None
    fetched_at: NaiveDatetime = Field(default_factory=utcnow)
    # What the bytes are (DocumentText.kind: doc, wps, docx, pdf, rar, 7z, zip, jpg …), not the file name's word.
    format: Optional[str] = None
    pages: Optional[int] = None
    ocr: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))  # DocumentText.ocr, when OCR read it
    # Archives: one entry per member read, {name, format, pages, status, error, ocr}, nested members flattened
    # with "outer.zip/inner.docx" names.
    members: Optional[list[dict[str, Any]]] = Field(default=None, sa_column=Column(JSON))


class NoticeParty(SQLModel, table=True):
    """An organisation's role on a notice: buyer, agency or vendor (winner)."""

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True, index=True)
    role: str = Field(primary_key=True)


class NoticeAmount(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    kind: str  # budget award max_price unit_price rate
    value_cny: Optional[float] = Field(default=None, index=True)
    percent: Optional[float] = None
    raw: str = ""
    # the amount as stated and its ISO 4217 currency (HKD, MOP, TWD …); value_cny is empty for a foreign one
    currency: Optional[str] = None
    value: Optional[float] = None


class NoticeTag(SQLModel, table=True):
    """Countable compute findings: facet is provider, chip, kind or flag; value a VOCAB id or flag name."""

    __table_args__ = (Index("ix_noticetag_facet_value", "facet", "value"),)

    notice_id: int = Field(foreign_key="notice.id", primary_key=True)
    facet: str = Field(primary_key=True)
    value: str = Field(primary_key=True)
    # True when the tag (a flag) was found on another notice of the same procurement, not on this one:
    # a case's flags are the union over its tender, correction, award and contract notices.
    inherited: bool = False


class Extraction(SQLModel, table=True):
    """The full extraction result (fields, compute findings, evidence) of a notice, per extractor version."""

    __table_args__ = (UniqueConstraint("notice_id", "extractor_version", name="uq_extraction_notice_version"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    extractor_version: str
    result: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class CrawlRun(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    spider: str = Field(index=True)
    args: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    started_at: NaiveDatetime = Field(default_factory=utcnow)
    finished_at: Optional[NaiveDatetime] = None
    status: str = "running"  # running finished stopped (a --max-* limit) blocked interrupted failed
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))  # progress while running, then the summary
    # Who runs it and when it last said so: a `running` row whose process is gone becomes `interrupted`.
    host: Optional[str] = None
    pid: Optional[int] = None
    heartbeat_at: Optional[NaiveDatetime] = None


class CrawlError(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    run_id: Optional[int] = Field(default=None, foreign_key="crawlrun.id", index=True)
    url: str
    reason: str = Field(index=True)  # blocked empty_body timeout http_<code> parse_error encoding attachment_<status> …
    detail: str = ""
    at: NaiveDatetime = Field(default_factory=utcnow)
    # A notice page that failed: what its list said, so the next crawl fetches it again (None: not a notice page).
    retry_meta: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))


class AppUser(SQLModel, table=True):
    """A person who may record review decisions on the site (`tenderwatch user add`); `user` is reserved in
    PostgreSQL, hence the table name."""

    __tablename__ = "app_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    password_hash: str  # argon2id (argon2-cffi); never the password
    created_at: NaiveDatetime = Field(default_factory=utcnow)


class ReviewSession(SQLModel, table=True):
    """A signed-in reviewer's session on the site. The cookie carries a random id whose SHA-256 is `token_hash`;
    signing out sets `revoked_at`, so a copied cookie stops working (a signed cookie alone would not)."""

    __tablename__ = "review_session"

    id: Optional[int] = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_name: str = Field(index=True)
    created_at: NaiveDatetime = Field(default_factory=utcnow)
    expires_at: NaiveDatetime
    revoked_at: Optional[NaiveDatetime] = None


class Review(SQLModel, table=True):
    """One review decision on a notice; the newest per notice is its review state. Not derived from the raw
    bytes, so `reextract` leaves it alone; `seen` and `extractor_version` record what the reviewer was shown."""

    __table_args__ = (Index("ix_review_notice_id", "notice_id", "id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id")
    decision: str  # confirmed | rejected
    reviewer: str  # a site user's name, or --by on the command line
    decided_at: NaiveDatetime = Field(default_factory=utcnow, index=True)
    # A confirmation's corrections (VOCAB ids); None = the findings seen were right.
    kinds: Optional[list[str]] = Field(default=None, sa_column=Column(JSON))
    providers: Optional[list[str]] = Field(default=None, sa_column=Column(JSON))
    chips: Optional[list[str]] = Field(default=None, sa_column=Column(JSON))
    note: str = ""
    extractor_version: Optional[str] = None
    seen: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))  # the compute findings shown
    via: str = "cli"  # cli | web


class OrganisationResolution(SQLModel, table=True):
    """Which organisation row a name is shown as (storage/orgs.py): rows whose names reduce to one `key` are
    one organisation, shown as the canonical row (`into_id` None) with the others as its aliases. The
    Organisation rows themselves never change, so a merge is undone by changing this row; `pinned` marks a
    decision taken by hand, which automatic resolution leaves alone."""

    __tablename__ = "organisation_resolution"

    organisation_id: int = Field(foreign_key="organisation.id", primary_key=True)
    key: str = Field(index=True)  # the name after the resolution rules
    into_id: Optional[int] = Field(default=None, foreign_key="organisation.id", index=True)
    rule: str = ""  # the rules that made it an alias, "+"-joined (phone, address, branch, legal_form, manual, unmerged)
    detail: str = ""  # the explanation shown with the alias
    decided_by: str = "auto"  # "auto" or the person who merged or unmerged it
    decided_at: NaiveDatetime = Field(default_factory=utcnow)
    pinned: bool = False


class ScreeningList(SQLModel, table=True):
    """A screening list as imported (storage/screening.py): the US Consolidated Screening List, an
    OpenSanctions export …; one row per list name, its entries replaced when a newer version is imported."""

    __tablename__ = "screening_list"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    list_date: Optional[NaiveDatetime] = None  # the version's date (the publisher's, else --date, else the file's)
    source: str = ""  # who publishes it, and the file it was read from
    format: str  # csl-csv | csl-json | opensanctions-csv
    file_name: str = ""
    sha256: str = ""
    entries: int = 0
    imported_at: NaiveDatetime = Field(default_factory=utcnow)
    matched_at: Optional[NaiveDatetime] = None  # when its matches were last computed
    matched_through: int = 0  # the highest organisation id then: newer organisations are not matched yet


class ScreeningEntry(SQLModel, table=True):
    """One listed entity (or person) of a screening list, with the names it is listed under."""

    __tablename__ = "screening_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    list_id: int = Field(foreign_key="screening_list.id", index=True)
    entry_key: str = ""  # the list's own id (CSL `_id`, OpenSanctions `id`)
    name: str
    alt_names: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    entity_type: str = ""  # Entity, Individual, Vessel (CSL); Company, Organization, Person (OpenSanctions)
    programs: str = ""  # "; "-joined
    sublist: str = ""  # the list inside the list: CSL `source` (Entity List …), OpenSanctions `dataset`
    addresses: str = ""
    countries: str = ""
    start_date: str = ""  # as the list states it
    source_list_url: str = ""
    details: Optional[dict[str, Any]] = Field(default=None, sa_column=Column(JSON))  # the row's other fields


class ScreeningMatch(SQLModel, table=True):
    """A candidate hit: an organisation row whose name matches a list entry, for a person to confirm."""

    __tablename__ = "screening_match"

    id: Optional[int] = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    entry_id: int = Field(foreign_key="screening_entry.id", index=True)
    score: float  # 100 for exact and alias-file hits; the rapidfuzz score for fuzzy ones
    reason: str  # exact_name | exact_alt_name | alias_file | fuzzy
    detail: str = ""  # which names met, in words
    matched_at: NaiveDatetime = Field(default_factory=utcnow)


# The Core table of each model, one name each: storage queries with SQLAlchemy Core on these (one query style),
# and every module imports them from here rather than naming `Model.__table__` again.
SOURCE = Source.__table__
ORG = Organisation.__table__
NOTICE = Notice.__table__
VERSION = NoticeVersion.__table__
LINK = NoticeLink.__table__
ATTACHMENT = Attachment.__table__
PARTY = NoticeParty.__table__
AMOUNT = NoticeAmount.__table__
TAG = NoticeTag.__table__
EXTRACTION = Extraction.__table__
RUN = CrawlRun.__table__
ERROR = CrawlError.__table__
USER = AppUser.__table__
SESSION = ReviewSession.__table__
REVIEW = Review.__table__
RES = OrganisationResolution.__table__
LIST = ScreeningList.__table__
ENTRY = ScreeningEntry.__table__
MATCH = ScreeningMatch.__table__
