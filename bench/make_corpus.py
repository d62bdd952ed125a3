"""A generated database of realistic Chinese procurement notices, for the search benchmark and screenshots.

    python bench/make_corpus.py --count 100000 --out data/bench/corpus-100000.db

Notices are assembled from the sections real ccgp notices have (项目概况, 采购需求, 资格要求, 获取文件,
截止时间, 联系方式 …) with lengths drawn from a log-normal fitted to real notices (median ≈ 2,000
characters — measured on the 598 real notices of bidagent-gold: median 2,011, p90 3,672), one attachment in five. Compute vocabulary is sprinkled at realistic
rates: about one notice in three hundred is a remote-compute case (AWS/Azure through resellers, 阿里云,
GPU rental, model APIs, HPC time), about 1.5 % buy GPU servers, and look-alikes everywhere (云南, 政采云,
云平台 boiler-plate, A100 meeting rooms). Deterministic for a given seed.

Two ways in: `build(..., fast=False)` calls `Store.save_notice` per notice (right for small databases such as
the screenshots'); the default writes through the storage layer's bulk loader (`storage.bulk`: the same rows,
batches of 1,000 — bench/bench_bulk.py measures both). tests/storage/test_bulk.py proves the loader writes
the rows save_notice writes; tests/web/test_bench_corpus.py that both paths give the same search results.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from extract.types import Amount, ComputeFindings, DocumentText, Evidence, NoticeExtraction, NoticeFields  # noqa: E402

from storage.processing import RawAttachment, RawNotice  # noqa: E402


EXTRACTOR_VERSION = "bench-corpus-1"

PROVINCES = ["北京市", "上海市", "天津市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省", "江苏省", "浙江省",
             "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省", "广东省", "海南省", "四川省", "贵州省",
             "云南省", "陕西省", "甘肃省", "青海省", "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区",
             "新疆维吾尔自治区"]
CITIES = ["海淀", "朝阳", "浦东", "南山", "西湖", "江宁", "武昌", "岳麓", "锦江", "雁塔", "历下", "鼓楼", "天河", "思明",
          "金水", "南岗", "和平", "新城", "高新", "经开", "滨海", "城关", "五华", "秀英", "城阳", "昆山", "义乌", "顺德"]
INSTITUTIONS = ["大学", "理工大学", "师范大学", "医科大学", "职业技术学院", "人民医院", "中医医院", "妇幼保健院", "疾病预防控制中心",
                "公安局", "教育局", "财政局", "自然资源局", "生态环境局", "气象局", "档案馆", "图书馆", "第一中学", "实验小学",
                "研究院", "科学院研究所", "大数据中心", "政务服务中心", "水务集团", "交通运输局", "卫生健康委员会", "人民法院",
                "人民检察院", "海关", "税务局", "市场监督管理局", "应急管理局", "农业农村局"]
COMPANY_WORDS = ["华信", "中科", "博远", "新创", "天成", "云桥", "瑞达", "恒通", "汇智", "长城", "东方", "联创", "启明", "智源",
                 "海纳", "凌云", "安泰", "宏图", "众诚", "锐捷", "同方", "鼎盛", "华宇", "星河", "正元", "卓越", "金桥", "远景"]
COMPANY_KINDS = ["科技有限公司", "信息技术有限公司", "网络科技有限公司", "数据科技有限公司", "系统集成有限公司", "建设工程有限公司",
                 "医疗器械有限公司", "物业服务有限公司", "家具制造有限公司", "商贸有限公司", "咨询有限公司"]
ORDINARY_ITEMS = ["办公家具", "物业管理服务", "医疗设备", "实验室仪器设备", "教学设备", "图书资料", "食堂食材配送服务", "保安服务",
                  "绿化养护服务", "办公用品", "车辆租赁服务", "印刷服务", "网络安全等级保护测评服务", "信息化运维服务",
                  "视频监控系统", "空调设备", "电梯维保服务", "档案数字化服务", "软件开发服务", "会议服务", "体检服务",
                  "污水处理设备", "道路维修工程", "校园网络升级改造", "多媒体教室设备", "消防设施维护", "审计服务"]
TYPES = [("tender", 0.45, "公开招标公告"), ("award", 0.33, "中标（成交）结果公告"), ("correction", 0.08, "更正公告"),
         ("cancellation", 0.04, "废标（终止）公告"), ("contract", 0.06, "合同公告"), ("intention", 0.04, "采购意向公开")]
BOILERPLATE = [
    "本项目不接受联合体投标。",
    "供应商应在中国政府采购网（www.ccgp.gov.cn）查询信用记录，被列入失信被执行人、重大税收违法案件当事人名单、政府采购严重违法失信行为记录名单的，拒绝其参与本项目。",
    "获取采购文件时间：工作日上午9:00至11:30，下午13:30至17:00（北京时间，法定节假日除外）。",
    "提交投标文件截止时间、开标时间：届时请投标人的法定代表人或其授权代表出席开标会议。",
    "本公告期限为五个工作日，自本公告发布之日起计算。",
    "对本次采购提出询问，请按以下方式联系。",
    "投标人须具备独立承担民事责任的能力，具有良好的商业信誉和健全的财务会计制度。",
    "落实政府采购政策需满足的资格要求：本项目专门面向中小企业采购。",
    "评标方法：综合评分法，价格分值占总分值的百分之三十。",
    "投标保证金：本项目不收取投标保证金。",
    "采购代理机构将在本网站发布有关本项目的更正、澄清信息，请供应商及时关注。",
    "本项目采购标的对应的中小企业划分标准所属行业为软件和信息技术服务业。",
    "政采云平台技术支持热线：400-881-7190。供应商可通过政采云平台在线获取采购文件。",
    "质疑函应当按照财政部制定的范本填写，并在法定质疑期内一次性提出针对同一采购程序环节的质疑。",
    "合同履行期限：自合同签订之日起十二个月。付款方式：验收合格后支付合同金额的百分之九十五。",
    "投标文件应当按照采购文件要求编制，逾期送达或者未按照规定密封的投标文件，采购人将拒收。",
]
REQUIREMENTS = [
    "供应商须提供原厂授权书及售后服务承诺函，质保期不少于三年。",
    "所投产品须符合国家强制性标准，提供有效的检测报告。",
    "服务团队须配备项目经理一名，具有相关专业中级以上职称。",
    "系统应支持统一身份认证，具备完善的日志审计功能，满足网络安全等级保护三级要求。",
    "响应时间：接到报修后两小时内到达现场，二十四小时内排除故障。",
    "交付地点：采购人指定地点。交货期：合同签订后三十日内。",
    "数据存储须位于境内，符合数据安全法和个人信息保护法的要求。",
    "投标人须提供近三年内同类项目业绩合同复印件。",
    "所有设备须为全新未使用产品，提供完整的技术资料和操作手册。",
    "投标报价应包括设备购置、运输、安装、调试、培训及税费等全部费用。",
    "平台应支持移动端访问，界面友好，操作简便。",
    "提供七乘二十四小时技术支持服务及远程运维服务。",
]
# Mentions that look like compute but are not remote-compute cases.
LOOKALIKES = [
    "会议地点：云南省昆明市五华区，A100会议室。",
    "本项目依托市政务云平台部署，云资源由市大数据中心统一分配，不单独采购。",
    "供应商须具备云南省内服务网点。",
    "办公软件须兼容 Microsoft Office 及 WPS。",
    "会议采用腾讯会议线上方式召开。",
    "采购电子图书，支持亚马逊 Kindle 阅读器。",
    "本项目不得使用境外云服务，数据须存储于国产化平台。",
    "GPU 显卡用于图形工作站升级，共 20 块。",
]
CASES = [
    # (kind, providers, chips, flags, sentence)
    ("cloud", ["aws"], ["nvidia-a100"], ["us_provider", "controlled_chip", "offshore"],
     "采购需求：租用亚马逊云科技（AWS）海外账号，使用 p4d.24xlarge 实例（8×A100 GPU），用于大模型训练，按需计费。"),
    ("cloud", ["aws"], ["nvidia-h100"], ["us_provider", "controlled_chip", "intermediary"],
     "由供应商代理开通 AWS 账号，提供 p5.48xlarge 实例（H100）算力资源，费用按实际使用量结算。"),
    ("model_api", ["azure"], [], ["us_provider", "intermediary"],
     "采购 Azure OpenAI 服务调用额度，GPT-4 模型接口 tokens 不少于五亿，由服务商代为充值。"),
    ("cloud", ["alibaba-cloud"], [], [],
     "采购阿里云云服务器 ECS 及对象存储 OSS 服务，服务期三年，资源规格按附件清单配置。"),
    ("gpu_rental", [], ["nvidia-rtx-4090"], [],
     "采购 GPU 算力租赁服务，RTX 4090 共 64 卡，按卡时结算，单价不高于每卡每小时 2.5 元。"),
    ("gpu_rental", ["autodl"], ["nvidia-a800"], [],
     "租用 AutoDL 平台 A800 算力，用于科研计算，按卡时计费，总计不少于 20000 卡时。"),
    ("hpc", [], [], ["domestic_only"],
     "采购国家超算中心机时 300 万核时，用于数值模拟计算，须使用国产化算力平台。"),
    ("cloud", ["huawei-cloud"], ["huawei-ascend-910b"], ["domestic_only"],
     "租用华为云昇腾 910B 算力资源，用于人工智能模型训练，服务期一年。"),
    ("model_api", ["baidu-cloud"], [], [],
     "采购百度智能云千帆大模型平台 API 调用服务，tokens 总量不少于十亿。"),
    ("cloud", ["google-cloud"], ["nvidia-h100"], ["us_provider", "controlled_chip", "offshore", "intermediary"],
     "通过香港节点开通 Google Cloud 账号，使用 A3 实例（H100）进行模型训练，费用由代理商结算。"),
]
HARDWARE = [
    ("nvidia-a100", "采购 GPU 服务器 8 台，每台配置 8 块 NVIDIA A100 80GB 加速卡。"),
    ("nvidia-h800", "采购人工智能计算服务器 4 台，每台配置 8 块 H800 GPU。"),
    ("nvidia-rtx-4090", "采购深度学习工作站 10 台，每台配置 RTX 4090 显卡两块。"),
    ("huawei-ascend-910b", "采购 Atlas 800T A2 训练服务器 2 台（昇腾 910B）。"),
]


@dataclass
class Generated:
    raw: RawNotice
    body: DocumentText
    attachments: list[tuple[RawAttachment, DocumentText]]
    extraction: NoticeExtraction


class Generator:
    def __init__(self, seed: int = 20240528, orgs: int = 3000, vendors: int = 5000, case_rate: float = 1 / 300):
        self.rng = random.Random(seed)
        self.case_rate = case_rate
        self._prev: dict | None = None  # the last tender, which the next notice may be the award of
        r = self.rng
        self.buyers = list(dict.fromkeys(
            f"{r.choice(PROVINCES)[:2]}{r.choice(CITIES)}{r.choice(INSTITUTIONS)}" for _ in range(orgs * 2)))[:orgs]
        self.vendors = list(dict.fromkeys(
            f"{r.choice(PROVINCES)[:2]}{r.choice(COMPANY_WORDS)}{r.choice(COMPANY_WORDS)}{r.choice(COMPANY_KINDS)}"
            for _ in range(vendors * 2)))[:vendors]
        # A few resellers serve many buyers, as in the reported cases.
        self.intermediaries = ["云桥数据科技有限公司", "华信云服信息技术有限公司", "北京智算通科技有限公司",
                               "深圳海纳云网络科技有限公司", "上海启明算力科技有限公司"]

    def _length(self) -> int:
        # Fitted to the 598 real notices of bidagent-gold: median 2,011 characters, p10 1,104, p90 3,672,
        # longest 24,256; one notice in a hundred is a long one (tables, lots).
        sigma = 1.0 if self.rng.random() < 0.01 else 0.45
        return int(min(40000, max(400, self.rng.lognormvariate(math.log(2000), sigma))))

    def _fill(self, parts: list[str], target: int, pool: list[str]) -> None:
        size = sum(map(len, parts))
        while size < target:
            s = self.rng.choice(pool)
            parts.append(s)
            size += len(s)

    def notice(self, i: int) -> Generated:
        r = self.rng
        prev, self._prev = self._prev, None
        if prev is not None and i % BATCH and r.random() < 0.35:
            # The award of the previous tender: same buyer, project code and subject (a procurement of two
            # notices, linked by the Store through code + buyer), published some weeks later.
            case, hardware, lookalike = prev["case"], prev["hardware"], prev["lookalike"]
            buyer, province, year, code, item, special = (prev[k] for k in ("buyer", "province", "year", "code", "item", "special"))
            ntype, type_word = "award", "中标（成交）结果公告"
            month, day = divmod(prev["month"] * 28 + prev["day"] + r.randint(20, 60), 28)
            month, year = (month, year) if month <= 12 else (month - 12, year + 1)
            published = f"{year}-{max(1, month):02d}-{max(1, day):02d}"
            compute = ComputeFindings(remote_compute=case, hardware_purchase=hardware,
                                      compute_kinds=list(prev["compute"].compute_kinds),
                                      cloud_providers=list(prev["compute"].cloud_providers),
                                      gpu_models=list(prev["compute"].gpu_models), flags=list(prev["compute"].flags))
            evidence = list(prev["evidence"])
            budget = prev["budget"]
        else:
            kind = r.random()
            case = kind < self.case_rate
            hardware = not case and kind < self.case_rate + 0.015
            lookalike = not case and not hardware and r.random() < 0.04
            ntype, _, type_word = r.choices(TYPES, weights=[t[1] for t in TYPES])[0]
            buyer = r.choice(self.buyers)
            province = next((p for p in PROVINCES if p.startswith(buyer[:2])), r.choice(PROVINCES))
            year = r.choice([2021, 2022, 2023, 2023, 2024, 2024, 2024, 2025, 2025])
            month, day = r.randint(1, 12), r.randint(1, 28)
            published = f"{year}-{month:02d}-{day:02d}"
            code = f"{buyer[:2].encode('utf-8').hex()[:4].upper()}-{year}-{i:06d}"
            evidence: list[tuple[str, str]] = []
            compute = ComputeFindings(remote_compute=case, hardware_purchase=hardware)
            if case:
                ck, providers, chips, flags, sentence = r.choice(CASES)
                item = {"cloud": "云计算资源租用服务", "gpu_rental": "算力租赁服务", "model_api": "大模型接口服务",
                        "hpc": "超算机时服务"}[ck]
                compute.compute_kinds, compute.cloud_providers = [ck], sorted(providers)
                compute.gpu_models = sorted(chips)
                # Who resold the service is known from the award, not the tender.
                compute.flags = sorted(f for f in flags if f != "intermediary" or ntype != "tender")
                special = sentence
                evidence.append(("remote_compute", sentence[sentence.index("：") + 1:] if "：" in sentence else sentence))
            elif hardware:
                chip, special = r.choice(HARDWARE)
                item = "GPU服务器采购"
                compute.gpu_models = [chip]
                evidence.append(("hardware_purchase", special))
            else:
                item = r.choice(ORDINARY_ITEMS)
                special = r.choice(LOOKALIKES) if lookalike else ""
            budget = round(r.lognormvariate(math.log(600_000), 1.2), -2)
            if ntype == "tender":
                self._prev = dict(case=case, hardware=hardware, lookalike=lookalike, buyer=buyer, province=province,
                                  year=year, month=month, day=day, code=code, item=item, special=special,
                                  compute=compute, evidence=evidence, budget=budget)
        title = f"{buyer}{item}项目{type_word}"
        vendor = None
        if ntype in ("award", "contract"):
            reseller = case and any(f == "intermediary" for _, _, _, fl, s in CASES if s == special for f in fl)
            vendor = r.choice(self.intermediaries) if reseller else r.choice(self.vendors)
            if reseller and "intermediary" not in compute.flags:
                compute.flags = sorted([*compute.flags, "intermediary"])
            if case:
                evidence.append(("flags:intermediary" if reseller else "vendors", vendor))

        head = [
            f"{title}\n",
            "一、项目基本情况\n",
            f"项目编号：{code}\n",
            f"项目名称：{buyer}{item}项目\n",
            f"预算金额：{budget / 1e4:.2f}万元（人民币）\n",
            f"采购人：{buyer}\n",
            "采购需求：\n",
        ]
        if special:
            head.append(special + "\n")
        if vendor:
            head.append(f"中标（成交）供应商：{vendor}\n中标（成交）金额：{budget * r.uniform(0.85, 0.99) / 1e4:.2f}万元\n")
        target = self._length()
        body_parts = list(head)
        self._fill(body_parts, target * 0.55, REQUIREMENTS)
        body_parts.append("\n二、申请人的资格要求\n")
        self._fill(body_parts, target * 0.85, BOILERPLATE)
        body_parts.append(f"\n三、联系方式\n采购人：{buyer}\n地址：{province}{r.choice(CITIES)}区{r.randint(1, 300)}号\n"
                          f"联系电话：0{r.randint(10, 999)}-{r.randint(1000000, 99999999)}\n")
        text = "".join(body_parts)

        ev_objs = []
        for fld, snippet in evidence:
            start = text.find(snippet)
            if start >= 0:
                ev_objs.append(Evidence(field=fld, text=snippet, start=start, end=start + len(snippet)))
        for fld, snippet in (("buyer", buyer), ("project_codes", code)):
            start = text.find(snippet)
            ev_objs.append(Evidence(field=fld, text=snippet, start=start, end=start + len(snippet)))
        compute.evidence = [e for e in ev_objs if e.field in ("remote_compute", "hardware_purchase")]

        attachments = []
        if r.random() < 0.2:
            a_parts = [f"{buyer}{item}项目采购需求书\n"]
            if case and r.random() < 0.5:
                a_parts.append(special + "\n")
            self._fill(a_parts, int(r.lognormvariate(math.log(3000), 0.8)), REQUIREMENTS + BOILERPLATE)
            a_text = "".join(a_parts)
            name = r.choice(["采购需求书.pdf", "招标文件.docx", "技术参数.xlsx", "用户需求书.pdf"])
            attachments.append((
                RawAttachment(url=f"https://www.ccgp.gov.cn/oss/download?uuid={i:08x}", name=name,
                              data=a_text.encode("utf-8"), content_type="application/octet-stream"),
                DocumentText(text=a_text, kind="pdf", name=name, pages=max(1, len(a_text) // 1500)),
            ))
        amounts = [Amount(kind="budget", value_cny=budget, raw=f"{budget / 1e4:.2f}万元")]
        fields = NoticeFields(
            notice_type=ntype, title=title, project_codes=[code], buyer=buyer, vendors=[vendor] if vendor else [],
            amounts=amounts, published_at=dt.date.fromisoformat(published), region=province,
            evidence=[e for e in ev_objs if e.field not in ("remote_compute", "hardware_purchase")],
        )
        html = f"<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='vF_detail_content'>" \
               f"{text.replace(chr(10), '<br>')}</div></body></html>"
        raw = RawNotice(
            source="ccgp", url=f"http://www.ccgp.gov.cn/cggg/dfgg/gkzb/{year}/t{year}_{i:07d}.htm",
            data=html.encode("utf-8"), content_type="text/html; charset=utf-8", name=f"t{year}_{i:07d}.htm",
            list_meta={"title": title, "published_at": published, "buyer": buyer, "region": province},
        )
        return Generated(raw, DocumentText(text=text, kind="html", title=title, encoding="utf-8"), attachments,
                         NoticeExtraction(fields=fields, compute=compute, extractor_version=EXTRACTOR_VERSION))


def build(url: str, count: int, *, seed: int = 20240528, blob_dir: Path | None = None, progress: bool = True,
          fast: bool = True, case_rate: float = 1 / 300) -> dict:
    """Fill the (new, empty) database at `url` with `count` generated notices."""
    from storage.store import Store

    gen = Generator(seed, case_rate=case_rate)
    store = Store.open(url, blob_dir=blob_dir)
    started = time.perf_counter()
    stats = {"notices": 0, "cases": 0, "chars": 0}

    def tick(done: int) -> None:
        if progress and done % 5000 == 0:
            rate = done / (time.perf_counter() - started)
            print(f"  {done:,}/{count:,} notices  ({rate:,.0f}/s, ~{(count - done) / rate:,.0f} s left)",
                  file=sys.stderr, flush=True)

    try:
        with store.bulk_loader(batch_size=BATCH) if fast else contextlib.nullcontext() as loader:
            write = loader.add if fast else store.save_notice
            for i in range(count):
                g = gen.notice(i)
                write(g.raw, g.body, g.attachments, g.extraction)
                stats["notices"] += 1
                stats["cases"] += g.extraction.compute.remote_compute
                stats["chars"] += len(g.body.text) + sum(len(d.text) for _, d in g.attachments)
                tick(i + 1)
    finally:
        store.close()
    stats["seconds"] = round(time.perf_counter() - started, 1)
    return stats


BATCH = 1000


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=None, help="SQLite file (default data/bench/corpus-<count>.db)")
    ap.add_argument("--seed", type=int, default=20240528)
    ap.add_argument("--store", action="store_true", help="write through Store.save_notice (slow, for small sizes)")
    args = ap.parse_args(argv)
    out = args.out or ROOT / "data" / "bench" / f"corpus-{args.count}.db"
    if out.exists():
        print(f"{out} exists; delete it to rebuild", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    stats = build(f"sqlite:///{out}", args.count, seed=args.seed, blob_dir=out.parent / (out.stem + "-raw"),
                  fast=not args.store)
    print(f"built {out}: {stats}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
