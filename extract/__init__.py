"""Pure extraction: bytes or text in, typed results with evidence out. Knows nothing of Scrapy or the database."""

import warnings

# jieba 0.42 imports pkg_resources, which setuptools ≥ 67 flags at every start with a UserWarning on stderr;
# scrapyd-deploy needs setuptools ≥ 77 (the SPDX licence in pyproject.toml). Only that message is silenced.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated as an API", category=UserWarning)
