"""Exports of the stored notices: CSV (UTF-8 with BOM), JSONL and OCDS 1.1 release packages
(`tenderwatch export`). `records` is the one read path, shared with the weekly digest."""
