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
    # Archive limits (ZIP, RAR, 7z alike; the names are older than RAR/7z support).
    zip_max_members: int = 200
    zip_max_member_bytes: int = 64 * 1024 * 1024  # uncompressed, counted while inflating
    zip_max_total_bytes: int = 256 * 1024 * 1024  # uncompressed, all members together
    zip_max_ratio: int = 200  # uncompressed / compressed per member: beyond this it is a bomb
    zip_max_depth: int = 3  # archives inside archives
    # External converters (LibreOffice for .doc/.wps): wall-clock seconds and address space per conversion.
    # A normal .doc converts in ~1 s; LibreOffice needs ~0.6 GB of address space to start.
    converter_timeout: float = 60.0
    converter_max_memory: int = 2 * 1024**3
    # OCR (extract/documents/ocr.py): 1–4 s a page on one core, so a 500-page scan is capped, not read whole.
    ocr_max_pages: int = 30  # scanned pages OCR'd per document
    ocr_seconds: float = 180.0  # OCR time per document, checked between pages
    ocr_dpi: int = 200  # scanned PDF pages are rendered at this resolution
    image_max_pixels: int = 40_000_000  # decoded image size (~40 MB greyscale); larger JPEGs decode scaled down
    ocr_max_side: int = 3000  # longer images are shrunk first (≈250 dpi on A4: more costs time, not accuracy)


DEFAULT_LIMITS = Limits()
