"""`tenderwatch eval`: the current extractor scored against every reviewed notice.

The reviewers' decisions (storage.review.truth) are the gold; the prediction is the current extractor run
on the notice's stored raw bytes (nothing is written), so a change to the extractor is measured before
`reextract`. The figures are those of ../shared/benchmarks/score_compute.py for the keys a review settles:
precision/recall/F1 of the positive class for the booleans, micro P/R/F1 over (notice, id) pairs for the
lists — computed the same way, so an exported gold set scored there gives the same numbers.
"""

from __future__ import annotations

from typing import Any, Iterable

BOOL_KEYS = ("remote_compute", "hardware_purchase")
SET_KEYS = ("cloud_providers", "gpu_models", "compute_kinds")


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """score_compute.py's definition: with nothing predicted and nothing missed, precision is 1."""
    p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def score(pairs: Iterable[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """pairs: (notice info {id, title, reviewer, note}, gold, prediction). Returns the figures and the
    disagreements (one per notice and key where they differ)."""
    counts = {k: [0, 0, 0] for k in (*BOOL_KEYS, *SET_KEYS)}
    disagreements: list[dict[str, Any]] = []
    n = 0
    for info, gold, pred in pairs:
        n += 1
        for k in BOOL_KEYS:
            g, p = bool(gold.get(k)), bool(pred.get(k))
            c = counts[k]
            c[0] += g and p
            c[1] += p and not g
            c[2] += g and not p
            if g != p:
                disagreements.append({**info, "key": k, "reviewed": g, "extractor": p})
        for k in SET_KEYS:
            g, p = set(gold.get(k) or []), set(pred.get(k) or [])
            c = counts[k]
            c[0] += len(g & p)
            c[1] += len(p - g)
            c[2] += len(g - p)
            if g != p:
                disagreements.append({**info, "key": k, "reviewed": sorted(g), "extractor": sorted(p)})
    return {"reviewed": n, **{k: prf(*c) for k, c in counts.items()}, "disagreements": disagreements}


def evaluate(store) -> dict[str, Any]:
    """Score the current extractor on the reviewed notices of `store` (opened read-only is enough).
    Notices whose raw bytes are not in this installation's data folder cannot be re-extracted: they are
    listed under `not_scored` with the reason, not counted."""
    from extract.version import EXTRACTOR_VERSION
    from storage.blobs import BlobNotFound
    from storage.review import reviewed, truth
    from storage.processing import extract_stored

    with store.engine.connect() as conn:
        decisions = reviewed(conn)
    pairs, not_scored = [], []
    for d in decisions:
        info = {"id": d["notice_id"], "title": d["title"], "decision": d["decision"], "reviewer": d["reviewer"],
                "note": d["note"]}
        try:
            _, _, extraction = extract_stored(store, d["notice_id"])
        except BlobNotFound as exc:
            not_scored.append({**info, "reason": f"raw bytes missing: {exc}"})
            continue
        pairs.append((info, truth(d), extraction.to_json()))
    result = score(pairs)
    return {"extractor_version": EXTRACTOR_VERSION, **result, "not_scored": not_scored}
