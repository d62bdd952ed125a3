"""Notice field extraction: `extract_fields(body, attachments, hints) -> NoticeFields`."""

from .extractor import extract_fields

__all__ = ["extract_fields"]
