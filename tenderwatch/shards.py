"""`--shard K/N`: N machines split one job (re-extracting an archive, ingesting a shared folder or URL list)
with no coordination beyond the database. Each input belongs to exactly one shard by a partition every machine
computes alike: a stored notice by its id (mod N), a file by its path relative to the folder given (so the
folder may be mounted anywhere), a URL by its canonical form — hashed with SHA-256, not Python's salted hash()."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import click


@dataclass(frozen=True)
class Shard:
    k: int  # 1-based: shard K of N
    n: int

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"

    @property
    def id_mod(self) -> tuple[int, int]:
        """(N, K-1): the notices whose id is K-1 mod N are this shard's — as the database is asked
        (`Store.notice_ids(id_mod=…)`) and as `holds_id` answers."""
        return self.n, self.k - 1

    def holds_id(self, notice_id: int) -> bool:
        n, remainder = self.id_mod
        return notice_id % n == remainder

    def holds_key(self, key: str) -> bool:
        return int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big") % self.n == self.k - 1


def parse_shard(text: str) -> Shard:
    """'K/N' with 1 ≤ K ≤ N; anything else is a ValueError saying what is expected."""
    k, sep, n = text.strip().partition("/")
    try:
        if not sep:
            raise ValueError
        shard = Shard(int(k), int(n))
    except ValueError:
        raise ValueError(f"expected K/N (shard K of N, e.g. 1/4), got {text!r}") from None
    if shard.n < 1:
        raise ValueError(f"N must be at least 1, got {text!r}")
    if not 1 <= shard.k <= shard.n:
        raise ValueError(f"K must be between 1 and N (1/{shard.n} … {shard.n}/{shard.n}), got {text!r}")
    return shard


def _shard_callback(_ctx, _param, value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.ClickException(f"--shard: {exc}") from None  # one line, not a usage screen


shard_option = click.option(
    "--shard", metavar="K/N", default=None, callback=_shard_callback,
    help="Do only shard K of N (1 ≤ K ≤ N): run K = 1 … N on N machines against one database to split the work; "
         "every input falls in exactly one shard.",
)
