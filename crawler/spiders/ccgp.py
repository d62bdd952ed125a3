from urllib.parse import urlencode

from crawler.spiders.base import ProcurementSpider
from crawler.spiders.lists import PagedListMixin


class CcgpSpider(PagedListMixin, ProcurementSpider):
    """
    Domain
      中国政府采购网 www.ccgp.gov.cn: central (zygg) and local (dfgg) notices; sites/ccgp.toml
    Spider arguments
      channels
        Channel codes (gkzb, zbgg …, both zones), zone/code (dfgg/zbgg) or a zone (zygg). Default: all.
      keywords
        Searched with search.ccgp.gov.cn/bxsearch (full text) over since..until, default the last 30 days.
    Lists
      Channel pages and search results are both read by ``html_list`` with the TOML's selectors; search
      results' meta line is "|"-separated labelled fields, their URLs the page's ``ohtmlurls``.
    """

    name = "ccgp"

    def start_lists(self):
        for zone, code in self.channels:
            yield self.list_page_request(("channel", zone, code), 0)
        for keyword in self.keywords:
            yield self.list_page_request(("search", keyword), 0)

    def list_page_request(self, key, page):
        meta = {"list_key": key, "page": page, "list_stat": key[0] if key[0] == "search" else "list"}
        if key[0] == "channel":
            conf = self.site["channels"]
            page_name = conf["first_page"] if page == 0 else conf["next_page"].format(n=page)
            url = conf["url"].format(zone=key[1], code=key[2], page=page_name)
        else:
            conf = self.site["search"]
            start, end = self.window(conf["default_days"])
            params = {**conf["params"], "kw": key[1], "page_index": page + 1,
                      "start_time": start.strftime(conf["date_format"]), "end_time": end.strftime(conf["date_format"])}
            url = f"{conf['url']}?{urlencode(params)}"
        return self.page_request(url, self.parse_list, meta=meta, dont_filter=True)

    def parse_list_page(self, response):
        key = response.meta["list_key"]
        if key[0] == "search":
            return self.html_list(response, self.site["search"]["selectors"])
        return self.html_list(response, self.site["channels"]["selectors"], channel=self.channel_name(key[1:]),
                              notice_type=self.site["channels"]["codes"][key[2]])
