"""Build the cebpub replica's bulletin PDFs (files/<uuid>.pdf) from bulletins.toml, deterministically.

    .venv/bin/python -m crawler.replica.cebpub.make_files [--check]

Uses the ccgp replica's PDF maker (reportlab, a dev dependency); the built files are committed.
"""

from __future__ import annotations

import sys

from crawler.replica.cebpub import FILES, load_bulletins
from crawler.replica.make_files import make_pdf


def main(argv: list[str]) -> int:
    built = {f"{b.uuid}.pdf": make_pdf(b.title, b.lines) for b in load_bulletins()}
    if "--check" in argv:
        stale = [n for n, data in built.items() if not (FILES / n).exists() or (FILES / n).read_bytes() != data]
        print("stale: " + ", ".join(stale) if stale else "all files up to date")
        return 1 if stale else 0
    FILES.mkdir(parents=True, exist_ok=True)
    for name, data in built.items():
        (FILES / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
