"""Scrapy settings of the tenderwatch crawler. Values that differ from Scrapy's defaults say why.

Spider arguments adjust a few of these per run (ProcurementSpider.from_crawler): `delay` sets DOWNLOAD_DELAY
(0 also turns AutoThrottle off and allows parallel requests, for the local replica), `obey_robots=0` turns
ROBOTSTXT_OBEY off.
"""

BOT_NAME = "tenderwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# A desktop browser's headers: ccgp's WAF answers bot user agents with 403 or "频繁访问" (sites.md §1.4).
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.6",
    "Upgrade-Insecure-Requests": "1",
}
ROBOTSTXT_OBEY = True  # default False, template True
COOKIES_ENABLED = True  # one jar for the run: the homepage's WAF cookies must ride on every later request

# Politeness: ≥3 s between requests to a host, as crawlers of ccgp do in practice; AutoThrottle only ever
# slows down from there when the site answers slowly.
DOWNLOAD_DELAY = 3.0  # default 0, template 1
DOWNLOAD_DELAY_JITTER = 0.5  # 0.5–1.5 × the delay, so requests do not tick like a clock
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # default 8, template 1
AUTOTHROTTLE_ENABLED = True  # default False
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

DOWNLOAD_TIMEOUT = 60  # default 180: a page that takes a minute is failing; record it and move on
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024  # attachments above this are recorded as too_large
DOWNLOAD_WARNSIZE = 0
RETRY_TIMES = 2  # default 2: initial request + 2 retries on the codes below and on network errors
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]  # 403/429 are block signals, handled by BlockDetection

# process_response runs from high to low numbers: charset and block detection see the decompressed body
# (HttpCompression 590) before Retry (550) and the spider.
# WAF cookies (582) read decoded pages and see a 403 before block detection counts it; host failures (560)
# see every failed attempt before Retry (550) retries it.
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.CharsetMiddleware": 585,
    "crawler.waf.WafCookieMiddleware": 582,
    "crawler.middlewares.BlockDetectionMiddleware": 580,
    "crawler.reachability.HostFailureMiddleware": 560,
}
# Scrapy's HTTP handler, setting a site's WAF cookies as each request goes on the wire (crawler/waf.py).
DOWNLOAD_HANDLERS = {"http": "crawler.waf.WafCookieDownloadHandler", "https": "crawler.waf.WafCookieDownloadHandler"}
ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Inert unless TENDERWATCH_FRONTIER is set; then it wires in the shared frontier (crawler/frontier.py).
ADDONS = {"crawler.frontier.FrontierAddon": 0}
EXTENSIONS = {"crawler.scrapyd.DataDirectory": 0,  # scrapyd.py: an explicit data dir (Scrapyd jobs)
              "crawler.runs.RunRecord": 100, "crawler.progress.ProgressLine": 500}  # runs.py: the run's record

TELNETCONSOLE_ENABLED = False  # nothing should listen on the crawl machine
REMOTE_CONTROL_ENABLED = False  # (Scrapy ≥ 2.19 opens an HTTP control port by default)
LOG_LEVEL = "INFO"

# tenderwatch settings
TENDERWATCH_DATABASE_URL = None  # None: storage.config.database_url() (TENDERWATCH_DATABASE_URL / data dir)
TENDERWATCH_DATA_DIR = None  # None: the environment's (default ./data); required in a Scrapyd job (crawler/scrapyd.py)
EMPTY_BODY_RETRY_DELAY = 1.0  # the CDN's 200-with-0-bytes answers clear after about a second (sites.md §1.4)
BLOCK_BACKOFF_SECONDS = 60.0  # first pause after a block page; doubled on each further one
BLOCK_MAX_COUNT = 3  # block pages in a row before the crawl stops (status "blocked"); never solve captchas
STORE_WORKERS = 1  # processes that extract and store notices beside the crawl (0 = a thread in the crawl)
TENDERWATCH_PROGRESS = False  # the CLI turns the progress display on
TENDERWATCH_PROGRESS_INTERVAL = 30.0  # seconds between progress lines (stderr and the run log)
HEARTBEAT_SECONDS = 10.0  # the run row's heartbeat and progress, for `tenderwatch stats` in another terminal
STALE_RUN_SECONDS = 300.0  # a `running` row of another host silent this long is `interrupted` (same host: pid check)
HOST_FAILURES_MAX = 4  # connection failures in a row (retries included) before a host is given up
# A crawl that ran to its end is `finished` only if at most this share of the pages it tried failed (or fewer
# than FAILED_PAGES_MIN did); otherwise `blocked` (mostly refusals) or `failed`, with a non-zero exit.
FAILED_PAGES_SHARE = 0.2
FAILED_PAGES_MIN = 5
CONTINUE_OVERLAP_DAYS = 3  # without --since: the last finished run's window end, less this, for late notices
RETRY_FAILED_RUNS = 3  # a notice page that failed in this many runs is not tried again by later runs
TENDERWATCH_MAX_NOTICES = 0  # stop (resumably) after storing this many notices; 0 = no limit
TENDERWATCH_MAX_MINUTES = 0  # stop (resumably) after this many minutes; 0 = no limit

# A frontier shared by many crawl processes (crawler/frontier.py, crawler/politeness.py); None: this process alone.
TENDERWATCH_FRONTIER = None  # redis://host:6379/N — queue, seen-set, host budgets and block state in Redis
FRONTIER_KEY_PREFIX = "tenderwatch"  # Redis keys <prefix>:<spider>:…, <prefix>:host:<host>
FRONTIER_IDLE_EXIT = 10.0  # a worker ends once the shared frontier has been empty this long
FRONTIER_LEASE_SECONDS = 60.0  # requests taken by a worker that died are handed out again this long after
FRONTIER_REDIS_PATIENCE = 30.0  # a worker waits this long for its frontier's Redis to answer again, then stops
FRONTIER_CONCURRENCY = 2  # requests in a worker's downloader at once (it takes no more from the frontier)
FRONTIER_HOST_DELAY = None  # set from DOWNLOAD_DELAY (--delay) by the add-on: ≥ this between requests to a host
