"""Limits that keep one hostile or huge file from stalling a crawl or exhausting memory. Every limit that
cuts a document short adds a `too_large: …` entry to its errors, keeping what was read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 64 * 1024 * 1024  # any single input
    max_text_chars: int = 5_000_000  # text kept from one document
    pdf_max_pages: int = 1000  # pages whose text is read
    pdf_table_pages: int = 30  # pages handed to pdfplumber for tables (≈10–20 such pages/s): the slow part
    xlsx_max_cells: int = 500_000
    zip_max_members: int = 200
    zip_max_member_bytes: int = 64 * 1024 * 1024  # uncompressed, counted while inflating
    zip_max_total_bytes: int = 256 * 1024 * 1024  # uncompressed, all members together
    zip_max_ratio: int = 200  # uncompressed / compressed per member: beyond this it is a bomb
    zip_max_depth: int = 3  # ZIPs inside ZIPs


DEFAULT_LIMITS = Limits()
