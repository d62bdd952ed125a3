from crawler.spiders.api import JsonDetailMixin, JsonListMixin
from crawler.spiders.base import ProcurementSpider


class ZcySpider(JsonDetailMixin, JsonListMixin, ProcurementSpider):
    """
    Domain
      政采云 portals: 浙江政府采购网 zfcg.czt.zj.gov.cn and 上海政府采购网 www.zfcg.sh.gov.cn — the JSON
      /portal/category list and /portal/detail APIs; sites/zcy.toml
    Spider arguments
      channels
        Portals: zj, sh. Default: both.
      keywords
        ``keyword`` terms searched within each category; '' = whole category lists.
      site_root
        Each portal is fetched from ``<site_root>/<portal>/`` (their paths are the same on both hosts).
    Site quirks handled (each set in sites/zcy.toml, with its reason)
      The portals cap pageSize whatever is asked: lists page on until as many items came as ``total`` says.
      The detail API's JSON is stored as one HTML page (title, date, facts table, body) under the portal's own
      page URL; publishDate is epoch milliseconds, read as China time.
    Blocking
      A portal that answers with Aliyun WAF's JavaScript challenge is recorded (``blocked``) and left alone;
      the other portals are crawled, and the run ends with status blocked, saying which portal refused.
    """

    name = "zcy"
    # ProcurementSpider
    channel_kind = "portal"
    homepage_first = False  # each portal's homepage (its client cookie) is visited before its lists instead
