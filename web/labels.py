"""Human labels for the ids the extractor stores (VOCAB ids, flags, kinds, notice types).

The ids stay in URLs and exports (they are stable); pages show these labels. An id missing here is shown
prettified rather than hidden, so a new chip or provider added to the lexicon appears at once.
"""

from __future__ import annotations

from storage.search import vocab

PROVIDERS = {
    "aws": "AWS 亚马逊云科技",
    "azure": "Microsoft Azure 微软云",
    "google-cloud": "Google Cloud 谷歌云",
    "oracle-cloud": "Oracle Cloud 甲骨文云",
    "ibm-cloud": "IBM Cloud",
    "coreweave": "CoreWeave",
    "lambda": "Lambda",
    "alibaba-cloud": "阿里云 Alibaba Cloud",
    "tencent-cloud": "腾讯云 Tencent Cloud",
    "huawei-cloud": "华为云 Huawei Cloud",
    "baidu-cloud": "百度智能云 Baidu",
    "volcengine": "火山引擎 Volcengine",
    "ctyun": "天翼云 CTyun",
    "ecloud": "移动云 eCloud",
    "unicom-cloud": "联通云 Unicom",
    "kingsoft-cloud": "金山云 Kingsoft",
    "jd-cloud": "京东云 JD Cloud",
    "ucloud": "UCloud 优刻得",
    "inspur-cloud": "浪潮云 Inspur",
    "paratera": "并行科技 Paratera",
    "autodl": "AutoDL",
}


def _us_providers() -> frozenset[str]:
    """The lexicon's US-headquartered providers (extract/compute/data/providers.toml decides it)."""
    from extract.compute.lexicon import load_lexicon

    return frozenset(p.id for p in load_lexicon().providers.values() if p.us_headquartered)


US_PROVIDERS = _us_providers()

# Kinds, flags and notice types with their labels are the search vocabulary's (storage/search/vocab.toml).
FLAGS = vocab.labels("flag")
FLAG_HELP = vocab.labels("flag_help")
KINDS = vocab.labels("kind")
NOTICE_TYPES = vocab.labels("notice_type")
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
}
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
AMOUNT_KINDS = {"budget": "Budget", "award": "Award", "max_price": "Ceiling price", "unit_price": "Unit price", "rate": "Rate"}


def _pretty(value: str) -> str:
    return value.replace("_", " ").replace("-", " ")


def chip(value: str) -> str:
    vendor, _, model = value.partition("-")
    if not model:
        return value.upper()
    brand = {"nvidia": "NVIDIA", "amd": "AMD", "huawei": "Huawei", "cambricon": "Cambricon", "hygon": "Hygon",
             "kunlunxin": "Kunlunxin"}.get(vendor, vendor.title())
    model = model.replace("rtx-", "RTX ").replace("ascend-", "Ascend ").replace("dcu-", "DCU ")
    return f"{brand} {model.replace('-', ' ').upper() if model.islower() and len(model) <= 6 else model.replace('-', ' ')}"


def value_label(facet: str, value: str) -> str:
    if facet == "provider":
        return PROVIDERS.get(value, _pretty(value))
    if facet == "chip":
        return chip(value)
    if facet == "flag":
        return FLAGS.get(value, _pretty(value))
    if facet == "kind":
        return KINDS.get(value, _pretty(value))
    if facet == "type":
        return NOTICE_TYPES.get(value, value)
    if facet == "review":
        return REVIEW_STATES.get(value, value)
    return value


def field_label(name: str) -> str:
    """Evidence field names look like "cloud_providers" or "cloud_providers:aws"; label both."""
    base, _, detail = (name or "").partition(":")
    label = FIELDS.get(base, _pretty(base).capitalize() if base else "Evidence")
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
