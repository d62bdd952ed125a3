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
    Source,
    utcnow,
)

__all__ = [
    "Attachment", "CrawlError", "CrawlRun", "Extraction", "Notice", "NoticeAmount", "NoticeLink",
    "NoticeParty", "NoticeTag", "NoticeVersion", "Organisation", "Source", "utcnow",
]
