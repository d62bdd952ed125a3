"""The active filters above the results are named by the site's labels (web/labels.py `FILTERS`): the facets and
the date and amount bounds alike."""

from __future__ import annotations

import re


def test_each_active_filter_is_named_by_its_label(site):
    page = site.get("/search", params={"provider": "aliyun", "since": "2024-01-01", "until": "2024-12-31",
                                       "amount_min": "100000", "amount_max": "5000000"}).text
    chips = re.search(r'<ul class="chips" aria-label="Active filters">(.*?)</ul>', page, re.S).group(1)
    names = re.findall(r'title="Remove this filter">([^:<]+):', chips)
    assert names == ["Cloud provider", "Since", "Until", "Amount ≥", "Amount ≤"]
