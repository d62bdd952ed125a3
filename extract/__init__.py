"""Pure extraction: bytes or text in, typed results with evidence out. Knows nothing of Scrapy or the database."""
