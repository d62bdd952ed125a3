"""Read models: one notice with everything attached, one organisation, database statistics. Plain dicts,
JSON-ready, so the CLI (`show`, `stats`) and the web site present the same facts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from models.tables import (
    Attachment,
    CrawlError,
    CrawlRun,
    Extraction,
    Notice,
    NoticeAmount,
    NoticeLink,
    NoticeParty,
    NoticeTag,
    NoticeVersion,
    Organisation,
)

NOTICE = Notice.__table__
ORG = Organisation.__table__
PARTY = NoticeParty.__table__
TAG = NoticeTag.__table__


def _iso(value) -> str | None:
    return value.isoformat(timespec="minutes") if value else None


def notice_detail(conn: sa.Connection, notice_id: int) -> dict[str, Any] | None:
    n = conn.execute(sa.select(NOTICE).where(NOTICE.c.id == notice_id)).first()
    if n is None:
        return None
    parties = conn.execute(
        sa.select(PARTY.c.role, ORG.c.id, ORG.c.name)
        .join(ORG, ORG.c.id == PARTY.c.organisation_id)
        .where(PARTY.c.notice_id == notice_id)
        .order_by(PARTY.c.role, ORG.c.name)
    ).all()
    tags = conn.execute(
        sa.select(TAG.c.facet, TAG.c.value, TAG.c.inherited)
        .where(TAG.c.notice_id == notice_id)
        .order_by(TAG.c.facet, TAG.c.value)
    ).all()
    amounts = conn.execute(
        sa.select(NoticeAmount.__table__).where(NoticeAmount.notice_id == notice_id).order_by(NoticeAmount.id)
    ).all()
    attachments = conn.execute(
        sa.select(Attachment.__table__).where(Attachment.notice_id == notice_id).order_by(Attachment.id)
    ).all()
    versions = conn.execute(
        sa.select(
            NoticeVersion.id,
            NoticeVersion.content_hash,
            NoticeVersion.raw_sha256,
            NoticeVersion.title,
            NoticeVersion.fetched_at,
        )
        .where(NoticeVersion.notice_id == notice_id)
        .order_by(NoticeVersion.id)
    ).all()
    links = conn.execute(
        sa.select(NoticeLink.source, NoticeLink.url, NoticeLink.first_seen)
        .where(NoticeLink.notice_id == notice_id)
        .order_by(NoticeLink.id)
    ).all()
    extraction = (
        conn.execute(
            sa.select(Extraction.result).where(
                Extraction.notice_id == notice_id, Extraction.extractor_version == n.extractor_version
            )
        ).scalar()
        or {}
    )
    by_role: dict[str, list[dict]] = {}
    for p in parties:
        by_role.setdefault(p.role, []).append({"id": p.id, "name": p.name})
    facets: dict[str, list[str]] = {"provider": [], "chip": [], "kind": [], "flag": []}
    inherited_flags = []
    for t in tags:
        facets.setdefault(t.facet, []).append(t.value)
        if t.inherited:
            inherited_flags.append(t.value)
    evidence = extraction.get("evidence", [])
    return {
        "id": n.id,
        "source": n.source,
        "url": n.url,
        "external_id": n.external_id,
        "title": n.title,
        "notice_type": n.notice_type,
        "published_at": _iso(n.published_at),
        "bid_deadline": _iso(n.bid_deadline),
        "region": n.region,
        "project_code": n.project_code,
        "buyer": (by_role.get("buyer") or [None])[0],
        "agency": (by_role.get("agency") or [None])[0],
        "vendors": by_role.get("vendor", []),
        "amounts": [{"kind": a.kind, "value_cny": a.value_cny, "percent": a.percent, "raw": a.raw,
                     "currency": a.currency, "value": a.value} for a in amounts],
        "remote_compute": n.remote_compute,
        "hardware_purchase": n.hardware_purchase,
        "compute_candidate": bool(n.compute_candidate),  # a possible case, with its score and reasons
        "candidate_score": n.candidate_score,
        "candidate_reasons": list(n.candidate_reasons or []),
        "compute_kinds": facets["kind"],
        "cloud_providers": facets["provider"],
        "gpu_models": facets["chip"],
        "flags": facets["flag"],  # union over the procurement
        "inherited_flags": inherited_flags,  # of those, the ones found on other notices of the procurement
        "evidence": evidence,
        "extraction_errors": extraction.get("errors", []),
        "extractor_version": n.extractor_version,
        "procurement_key": n.procurement_key,
        "text": n.text,
        "content_hash": n.content_hash,
        "raw_sha256": n.raw_sha256,
        "raw_content_type": n.raw_content_type,
        "list_meta": n.list_meta or {},
        "first_seen": _iso(n.first_seen),
        "last_seen": _iso(n.last_seen),
        "last_changed": _iso(n.last_changed),
        "attachments": [
            {
                "id": a.id,
                "url": a.url,
                "name": a.name,
                "status": a.status,
                "error": a.error,
                "size": a.size,
                "content_type": a.content_type,
                "sha256": a.sha256,
                "text": a.text,
                "format": a.format,
                "pages": a.pages,
                "ocr": a.ocr or None,  # DocumentText.ocr when OCR read (part of) it
                "members": a.members or [],  # archives: what was inside, each with format, status, reason
            }
            for a in attachments
        ],
        "versions": [
            {
                "id": v.id,
                "content_hash": v.content_hash,
                "raw_sha256": v.raw_sha256,
                "title": v.title,
                "fetched_at": _iso(v.fetched_at),
            }
            for v in versions
        ],
        "links": [{"source": link.source, "url": link.url, "first_seen": _iso(link.first_seen)} for link in links],
    }


def organisation_detail(conn: sa.Connection, organisation_id: int) -> dict[str, Any] | None:
    org = conn.execute(sa.select(ORG).where(ORG.c.id == organisation_id)).first()
    if org is None:
        return None
    notices = conn.execute(
        sa.select(
            PARTY.c.role,
            NOTICE.c.id,
            NOTICE.c.title,
            NOTICE.c.notice_type,
            NOTICE.c.published_at,
            NOTICE.c.remote_compute,
        )
        .join(NOTICE, NOTICE.c.id == PARTY.c.notice_id)
        .where(PARTY.c.organisation_id == organisation_id)
        .order_by(NOTICE.c.published_at.desc(), NOTICE.c.id.desc())
    ).all()
    other = PARTY.alias("other")
    counterparts = conn.execute(
        sa.select(ORG.c.id, ORG.c.name, other.c.role, sa.func.count(sa.distinct(other.c.notice_id)).label("notices"))
        .select_from(
            PARTY.join(other, other.c.notice_id == PARTY.c.notice_id).join(ORG, ORG.c.id == other.c.organisation_id)
        )
        .where(PARTY.c.organisation_id == organisation_id, other.c.organisation_id != organisation_id)
        .group_by(ORG.c.id, ORG.c.name, other.c.role)
        .order_by(sa.desc("notices"), ORG.c.name)
    ).all()
    return {
        "id": org.id,
        "name": org.name,
        "normalised_name": org.normalised_name,
        "notices": [
            {
                "role": r.role,
                "id": r.id,
                "title": r.title,
                "notice_type": r.notice_type,
                "published_at": _iso(r.published_at),
                "remote_compute": r.remote_compute,
            }
            for r in notices
        ],
        "cases": sum(1 for r in notices if r.remote_compute),
        "counterparts": [{"id": c.id, "name": c.name, "role": c.role, "notices": c.notices} for c in counterparts],
    }


def stats(conn: sa.Connection) -> dict[str, Any]:
    def grouped(column, *where) -> dict[str, int]:
        stmt = sa.select(column, sa.func.count()).group_by(column).order_by(sa.func.count().desc(), column)
        for w in where:
            stmt = stmt.where(w)
        return {str(k) if k is not None else "unknown": v for k, v in conn.execute(stmt).all()}

    def count(table, *where) -> int:
        stmt = sa.select(sa.func.count()).select_from(table)
        for w in where:
            stmt = stmt.where(w)
        return conn.execute(stmt).scalar_one()

    roles = grouped(PARTY.c.role)
    return {
        "notices": count(NOTICE),
        "notices_by_source": grouped(NOTICE.c.source),
        "notices_by_type": grouped(NOTICE.c.notice_type),
        "versions": count(NoticeVersion.__table__),
        "republications_linked": count(NoticeLink.__table__),
        "attachments": count(Attachment.__table__),
        "attachments_by_status": grouped(Attachment.__table__.c.status),
        "attachments_by_format": grouped(Attachment.__table__.c.format, Attachment.__table__.c.sha256.is_not(None)),
        "organisations": count(ORG),
        "organisation_roles": roles,
        "cases": count(NOTICE, NOTICE.c.remote_compute.is_(True)),
        # Possible cases (compute evidence short of a case), never counted among the cases.
        "possible_cases": count(NOTICE, NOTICE.c.compute_candidate.is_(True)),
        "hardware_purchases": count(NOTICE, NOTICE.c.hardware_purchase.is_(True)),
        "procurements_linked": conn.execute(
            sa.select(sa.func.count(sa.distinct(NOTICE.c.procurement_key))).where(
                NOTICE.c.procurement_key.is_not(None)
            )
        ).scalar_one(),
        "crawl_runs": count(CrawlRun.__table__),
        "crawl_runs_by_status": grouped(CrawlRun.__table__.c.status),
        "crawl_errors": count(CrawlError.__table__),
        "crawl_errors_by_reason": grouped(CrawlError.__table__.c.reason),
        # Runs in progress, with their heartbeat's age and progress, so another terminal can watch a crawl.
        "crawl_runs_running": [_running(r) for r in running_runs(conn)],
        "extractor_versions": grouped(NOTICE.c.extractor_version),
    }


def running_runs(conn: sa.Connection) -> list[sa.Row]:
    """Runs still `running`: id, spider, host, pid, started_at, heartbeat_at, stats (the progress so far)."""
    run = CrawlRun.__table__
    return list(conn.execute(
        sa.select(run.c.id, run.c.spider, run.c.host, run.c.pid, run.c.started_at, run.c.heartbeat_at, run.c.stats)
        .where(run.c.status == "running").order_by(run.c.id)
    ))


def _running(row: sa.Row) -> dict[str, Any]:
    from models.tables import utcnow

    last = row.heartbeat_at or row.started_at
    return {"id": row.id, "spider": row.spider, "host": row.host, "pid": row.pid,
            "started_at": row.started_at.isoformat(timespec="seconds"),
            "heartbeat_age_seconds": round((utcnow() - last).total_seconds()), "progress": row.stats or {}}
