"""Full-text search over notices: one interface (`SearchQuery` → `SearchResult`), a query parser, and
SQLite FTS5 / PostgreSQL tsvector implementations with the same results. Syntax and matching rules:
docs/search.md. Run a search with `Store.search(query)`."""

from storage.search.model import (
    FACETS,
    FacetCount,
    QuerySyntaxError,
    SearchHit,
    SearchQuery,
    SearchResult,
    Snippet,
    SnippetPart,
    UnknownFilterValue,
)
from storage.search.query import MAX_QUERY_CHARS, parse_query

__all__ = [
    "FACETS",
    "FacetCount",
    "MAX_QUERY_CHARS",
    "QuerySyntaxError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "Snippet",
    "SnippetPart",
    "UnknownFilterValue",
    "parse_query",
]
