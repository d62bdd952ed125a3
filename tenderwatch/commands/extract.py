"""`tenderwatch extract PATH... [--jsonl]`: fields and compute findings of files on disk, one result per file.

A file that cannot be read (damaged, encrypted, a scan, unreadable on disk) still gets its object, with
`errors` filled, and the run goes on. A directory means every file under it, in sorted order (hidden files
and directories skipped)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click

_PROGRESS_MIN_FILES = 20  # below this a run is quick: no progress lines unless asked


def _files(paths: tuple[Path, ...]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            found = (f for f in p.rglob("*") if f.is_file())
            out.extend(sorted(f for f in found if not any(part.startswith(".") for part in f.relative_to(p).parts)))
        else:
            out.append(p)
    return out


def _failed(path: Path, reason: str) -> dict:
    """The object for a file the pipeline could not handle: every key present, errors filled."""
    from extract.types import ComputeFindings, NoticeExtraction, NoticeFields
    from extract.version import EXTRACTOR_VERSION

    ex = NoticeExtraction(fields=NoticeFields(), compute=ComputeFindings(), extractor_version=EXTRACTOR_VERSION,
                          errors=[reason])
    return ex.to_json(str(path))


def extract_one(path: Path) -> dict:
    from extract.pipeline import extract_path

    try:
        return extract_path(path).to_json(str(path))
    except OSError as exc:
        return _failed(path, f"unreadable: {exc.strerror or exc}")
    except Exception as exc:  # a bug in one extractor must not end a run over thousands of files
        obj = _failed(path, f"failed: extraction raised {type(exc).__name__}: {str(exc)[:200]}")
        try:  # still say what was wrong with the file itself, if anything
            from extract.documents import read_document

            obj["errors"] = read_document(path.read_bytes(), path.name).errors + obj["errors"]
        except Exception:
            pass
        return obj


def _money(a: dict) -> str:
    if a.get("percent") is not None:
        return f"{a['kind']} {a['percent']:g}%"
    if a.get("value_cny") is None:
        return f"{a['kind']} {a.get('raw') or '?'}"
    return f"{a['kind']} {a['value_cny']:,.2f} 元".replace(".00 元", " 元")


def _summary(obj: dict) -> str:
    def val(v) -> str:
        if v in (None, "", []):
            return "—"
        return ", ".join(map(str, v)) if isinstance(v, list) else str(v)

    lines = [obj["path"]]
    lines.append(f"  type: {val(obj['notice_type'])} · published: {val(obj['published_at'])} · "
                 f"deadline: {val(obj['bid_deadline'])} · region: {val(obj['region'])}")
    lines.append(f"  title: {val(obj['title'])}")
    lines.append(f"  project codes: {val(obj['project_codes'])}")
    lines.append(f"  buyer: {val(obj['buyer'])} · agency: {val(obj['agency'])}")
    lines.append(f"  vendors: {val(obj['vendors'])}")
    lines.append(f"  amounts: {val([_money(a) for a in obj['amounts']])}")
    kinds = f" ({', '.join(obj['compute_kinds'])})" if obj["compute_kinds"] else ""
    lines.append(f"  remote compute: {'yes' if obj['remote_compute'] else 'no'}{kinds} · hardware purchase: "
                 f"{'yes' if obj['hardware_purchase'] else 'no'} · providers: {val(obj['cloud_providers'])} · "
                 f"accelerators: {val(obj['gpu_models'])} · flags: {val(obj['flags'])}")
    for e in obj["errors"]:
        lines.append(f"  error: {e}")
    return "\n".join(lines)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--jsonl", is_flag=True, help="One JSON object per file, keys as NoticeExtraction.to_json.")
@click.option("--progress/--no-progress", default=None,
              help=f"Progress on stderr (default: on for runs of more than {_PROGRESS_MIN_FILES} files).")
def extract(paths, jsonl, progress):
    """Extract notice fields and compute findings from files (HTML, text, PDF, DOCX, XLSX, ZIP).

    Every file gets its result. The exit status is 1 when any file has errors (it could not be read, or
    only in part), 0 when every file was read."""
    files = _files(paths)
    show = progress if progress is not None else len(files) > _PROGRESS_MIN_FILES
    start = last = time.monotonic()
    with_errors = 0
    for n, path in enumerate(files, 1):
        obj = extract_one(path)
        with_errors += bool(obj["errors"])
        if jsonl:
            click.echo(json.dumps(obj, ensure_ascii=False))
        else:
            click.echo(_summary(obj) + "\n")
        now = time.monotonic()
        if show and (now - last >= 1.0 or n == len(files)):
            last = now
            rate = n / max(now - start, 1e-9)
            click.echo(f"extract: {n}/{len(files)} files, {rate:.1f} files/s" if rate < 10 else
                       f"extract: {n}/{len(files)} files, {rate:.0f} files/s", err=True)
    if show or with_errors:
        elapsed = time.monotonic() - start
        click.echo(f"extract: {len(files)} files in {elapsed:.1f} s, {with_errors} with errors", err=True)
    sys.stdout.flush()
    if with_errors:
        sys.exit(1)
