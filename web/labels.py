"""Human labels the site shows: the findings' vocabulary (extract/compute/vocabulary.py) and the site's own
names for facets, fields and review states.

The ids stay in URLs and exports (they are stable); pages show these labels. An id the vocabulary does not
know is shown prettified rather than hidden.
"""

from __future__ import annotations

from extract.compute import vocabulary

# Providers, chips, kinds, flags, notice types and amount kinds with their labels are the findings' vocabulary
# (extract/compute/vocabulary.py, read from extract/compute/data/*.toml), the same for the digest and exports.
PROVIDERS = vocabulary.labels("provider")
US_PROVIDERS = vocabulary.us_providers()
FLAGS = vocabulary.labels("flag")
FLAG_HELP = {f.id: f.description for f in vocabulary.terms("flag").values()}
KINDS = vocabulary.labels("kind")
NOTICE_TYPES = vocabulary.labels("notice_type")
AMOUNT_KINDS = vocabulary.labels("amount_kind")
FACETS = {
    "provider": "Cloud provider",
    "chip": "Chip",
    "kind": "Compute kind",
    "flag": "Flags",
    "buyer": "Buyer",
    "vendor": "Vendor",
    "region": "Region",
    "type": "Notice type",
    "year": "Year",
    "review": "Review",
    "screened": "Screening lists",
}
# Every search filter a chip of the active filters names: the facets and the date and amount bounds.
FILTERS = {**FACETS, "since": "Since", "until": "Until", "amount_min": "Amount ≥", "amount_max": "Amount ≤"}
REVIEW_STATES = {"confirmed": "Confirmed ✓", "rejected": "Rejected", "reviewed": "Reviewed", "pending": "Not reviewed"}
FIELDS = {
    "title": "Title",
    "notice_type": "Notice type",
    "project_codes": "Project code",
    "project_code": "Project code",
    "buyer": "Buyer",
    "agency": "Agency",
    "vendors": "Vendors",
    "vendor": "Vendor",
    "amounts": "Amounts",
    "amount": "Amount",
    "published_at": "Published",
    "bid_deadline": "Bid deadline",
    "region": "Region",
    "remote_compute": "Remote compute",
    "compute_kinds": "Compute kind",
    "hardware_purchase": "Hardware purchase",
    "cloud_providers": "Cloud provider",
    "gpu_models": "Chip",
    "flags": "Flags",
    "candidate": "Possible case",  # evidence "candidate:<reason code>"
}


def value_label(facet: str, value: str) -> str:
    if facet in ("provider", "chip", "flag", "kind"):
        return vocabulary.label(facet, value)
    if facet == "type":
        return NOTICE_TYPES.get(value, value)
    if facet == "review":
        return REVIEW_STATES.get(value, value)
    if facet == "screened":
        return "A party may be on a list"
    return value


def filter_label(name: str) -> str:
    return FILTERS.get(name, name)


def field_label(name: str) -> str:
    """Evidence field names look like "cloud_providers" or "cloud_providers:aws"; label both."""
    base, _, detail = (name or "").partition(":")
    label = FIELDS.get(base, vocabulary.pretty(base).capitalize() if base else "Evidence")
    if detail:
        facet = {"cloud_providers": "provider", "gpu_models": "chip", "flags": "flag", "compute_kinds": "kind"}.get(base)
        label += " · " + (value_label(facet, detail) if facet else detail)
    return label


def money(value: float | None) -> str:
    """Yuan as a reader of Chinese notices thinks of it: 万 and 亿 with the exact figure kept in a title."""
    if value is None:
        return ""
    if value >= 1e8:
        return f"{value / 1e8:,.2f}亿元"
    if value >= 1e4:
        return f"{value / 1e4:,.2f}万元"
    return f"{value:,.2f}元"
