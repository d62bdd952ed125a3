from crawler.spiders.api import JsonListMixin
from crawler.spiders.base import ProcurementSpider
from crawler.spiders.pages import OriginFollowMixin


class GgzySpider(OriginFollowMixin, JsonListMixin, ProcurementSpider):
    """
    Domain
      全国公共资源交易平台 www.ggzy.gov.cn: the JSON list API and the /html/b/ content pages; sites/ggzy.toml
    Spider arguments
      channels
        DEAL_CLASSIFY codes (01 工程建设, 02 政府采购 …). Default: 02.
      keywords
        FINDTXT terms, one query per day, channel and term; '' lists every notice of the day.
      since, until
        Crawled one day at a time (default: the last ``default_days`` days).
    Site quirks handled (each set in sites/ggzy.toml, with its reason)
      The API silently caps ``total`` at 1000, so a day that reaches it is asked again per province (and a
      province-day that still reaches it is recorded as ``result_capped``). A keyword with no hits returns
      the unfiltered list: records whose title lacks the keyword are dropped, and the slice stops there.
      Business codes: 800 backs off, 829 stops the crawl as blocked, 804 narrows to provinces; HTTP 403
      and 429 stop it too. The list names the shell page (/html/a/); the spider fetches the content page it
      frames (/html/b/). An empty content page is replaced by its origin (原文链接), when it names one.
    Settings
      GGZY_RESULT_CAP
        The cap to detect (default: the TOML's 1000); replicas in tests serve a smaller one.
    """

    name = "ggzy"
    # ProcurementSpider
    channel_kind = "DEAL_CLASSIFY"
    # 50 pages × 20 records is the API's 1000-result cap: a slice never has more pages than that.
    default_max_pages = 50
