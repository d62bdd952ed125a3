import re
from urllib.parse import urlencode

from crawler.spiders.base import ListEntry, PagedListMixin, ProcurementSpider, SpiderArgumentError


class CcgpSpider(PagedListMixin, ProcurementSpider):
    """
    Domain
      中国政府采购网 www.ccgp.gov.cn: central (zygg) and local (dfgg) notices; selectors in sites/ccgp.toml
    Spider arguments
      channels
        Channel codes (gkzb, zbgg …, both zones), zone/code (dfgg/zbgg) or a zone (zygg). Default: all.
      keywords
        Searched with search.ccgp.gov.cn/bxsearch (full text) over since..until, default the last 30 days.
    """

    name = "ccgp"

    def parse_channels(self, names):
        conf = self.site["channels"]
        chosen = []
        for name in conf["default"] if names is None else names:
            zone, _, code = name.rpartition("/") if "/" in name else ("", "", name)
            if code in conf["zones"] and not zone:  # a whole zone
                chosen += [(code, c) for c in conf["default"]]
            elif code in conf["codes"] and zone in ("", *conf["zones"]):
                chosen += [(zone, code)] if zone else [(z, code) for z in conf["zones"]]
            else:
                raise SpiderArgumentError(f"spider argument `channels`: unknown channel {name!r} "
                                          f"(codes: {', '.join(conf['codes'])}; zones: {', '.join(conf['zones'])})")
        return list(dict.fromkeys(chosen))

    def channel_name(self, channel):
        return "/".join(channel)

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
        sel = self.site["channels" if key[0] == "channel" else "search"]["selectors"]
        count = re.search(sel["page_count"], response.text)
        entries = self.channel_entries(response, key, sel) if key[0] == "channel" else self.search_entries(response, sel)
        return entries, int(count.group(1)) if count else None

    def channel_entries(self, response, key, sel):
        for li in response.css(sel["item"]):
            published, region, buyer = (li.css(sel["fields"]).getall() + [None] * 3)[:3]
            day = self.list_date(published)
            meta = {"title": li.css(sel["title"]).get(), "published_at": published, "region": region, "buyer": buyer,
                    "notice_type": self.site["channels"]["codes"][key[2]], "channel": f"{key[1]}/{key[2]}"}
            yield ListEntry(response.urljoin(li.css(sel["link"]).get()), day, meta)

    def search_entries(self, response, sel):
        items = response.css(sel["item"])
        # The page's own list of result URLs (aligned with the <li>s) is preferred when it is complete.
        listed = re.search(sel["ohtmlurls"], response.text)
        urls = [u for u in listed.group(1).split(",") if u] if listed else []
        for i, li in enumerate(items):
            url = urls[i] if len(urls) == len(items) else response.urljoin(li.css(sel["link"]).get())
            meta_text = " ".join(t.strip() for t in li.css(f"{sel['meta']} ::text").getall())
            fields = [f.strip() for f in meta_text.split("|")]
            labels = li.css(f"{sel['meta']} strong::text").getall()
            meta = {"title": "".join(li.css(f"{sel['title']} ::text").getall()).strip(), "published_at": fields[0]}
            for f in fields:
                for prefix, key in sel["labels"].items():
                    if f.startswith(prefix):  # the real agency field runs on into the type label: cut at the line end
                        meta[key] = f[len(prefix):].splitlines()[0].split("  ")[0].strip()
            if labels:
                meta["notice_type_label"] = labels[0].strip()
                meta["notice_type"] = next((t for w, t in self.site["search"]["notice_types"].items() if w in labels[0]), None)
            yield ListEntry(url, self.list_date(fields[0]), meta)
