"""Notice fields (extract/fields): small notices written for the test, one phenomenon each — the label and
table forms of real ccgp notices, and the traps (rates, 下浮率, candidate notices, multi-lot notices, consortium
winners, 万元 columns, dates with 点/时, deadlines without a year, navigation noise)."""

import datetime as dt

import pytest

from extract.fields import extract_fields
from extract.types import DocumentText


def fields(text: str, title: str | None = None, meta: dict | None = None, hints: dict | None = None, kind="text"):
    f = extract_fields(DocumentText(text=text, kind=kind, title=title, meta=meta or {}), [], hints or {})
    for e in f.evidence:  # every value points at the characters it came from
        assert text[e.start:e.end] == e.text, e
    return f


def amounts(f, kind=None):
    return sorted((a.kind, a.value_cny if a.value_cny is not None else a.percent) for a in f.amounts
                  if kind is None or a.kind == kind)


NAV = """财政部唯一指定政府采购信息网络发布媒体 国家级政府采购专业网站
服务热线：400-810-1996   |   服务投诉：010-63819289
- 首页
- 政采法规
- 采购人：请登录
当前位置：首页 »
 政采公告 » 地方公告 » {crumb}
"""
FOOTER = """
相关公告
- 某某学院物业服务项目中标公告2026-08-01
 主办单位：中华人民共和国财政部国库司
网站标识码：bm14000002
"""

TENDER = NAV.format(crumb="公开招标公告") + """## 某市第一中学智慧教室设备采购项目公开招标公告
2026年08月05日 13:17 来源： 【打印】
## 公告概要：公告信息：采购项目名称某市第一中学智慧教室设备采购项目品目
货物/设备/信息化设备
采购单位某市第一中学行政区域浙江省公告时间2026年08月05日 13:17开标时间2026年08月26日 09:30预算金额￥120.000000万元（人民币）代理机构名称某某招标代理有限公司
## 项目概况 某市第一中学智慧教室设备采购项目 招标项目的潜在投标人应在线上获取招标文件，并于2026年08月26日 09点30分（北京时间）前递交投标文件。
一、项目基本情况
项目编号：ZJ-2026-GK-0815（采购计划编号：ZJCG-2026-00123）
项目名称：某市第一中学智慧教室设备采购项目
预算金额：120.000000 万元（人民币）
最高限价（如有）：118.000000 万元（人民币）
二、申请人的资格要求：
1.满足《中华人民共和国政府采购法》第二十二条规定；
三、获取招标文件
时间：2026年08月05日 至 2026年08月12日，每天上午9:00至11:00
售价：￥500.0 元
四、提交投标文件截止时间、开标时间和地点
提交投标文件截止时间：2026年08月26日 09点30分（北京时间）
开标时间：2026年08月26日 09点30分（北京时间）
七、对本次招标提出询问，请按以下方式联系。
1.采购人信息
名 称：某市第一中学　　　　　
地址：某市学府路1号
2.采购代理机构信息
名 称：某某招标代理有限公司
地　址：某市文化路2号
""" + FOOTER


def test_tender_fields():
    f = fields(TENDER, title="某市第一中学智慧教室设备采购项目公开招标公告")
    assert f.notice_type == "tender"
    assert f.title == "某市第一中学智慧教室设备采购项目公开招标公告"
    assert f.project_codes == ["ZJ-2026-GK-0815", "ZJCG-2026-00123"]  # primary first, the plan number after
    assert f.buyer == "某市第一中学"
    assert f.agency == "某某招标代理有限公司"
    assert f.vendors == []
    assert amounts(f) == [("budget", 1200000), ("max_price", 1180000)]
    assert f.published_at == dt.datetime(2026, 8, 5, 13, 17)
    assert f.bid_deadline == dt.datetime(2026, 8, 26, 9, 30)
    assert f.region == "浙江省"


def test_navigation_noise_does_not_leak_into_values():
    f = fields(TENDER)
    # "- 采购人：请登录" in the menu and the related-notices list after the body are not values
    assert f.buyer == "某市第一中学"
    assert all(e.start > TENDER.index("公告概要") - 5 for e in f.evidence if e.field != "title")
    assert not any("相关公告" in e.text or "请登录" in e.text for e in f.evidence)


def test_the_document_fee_and_deposit_are_not_amounts():
    f = fields(TENDER)
    assert 500 not in [a.value_cny for a in f.amounts]


AWARD = NAV.format(crumb="中标公告") + """## 某大学实验室设备采购项目中标（成交）结果公告
2026年07月29日 09:07 来源： 【打印】
一、项目编号：0701-264106150500（招标文件编号：0701-264106150500）
二、项目名称：某大学实验室设备采购项目
三、中标（成交）信息
供应商名称：某某科技股份有限公司
供应商地址：某市高新区迎春街18号
中标（成交）金额：147.2920000（万元）
四、主要标的信息
 序号    供应商名称      货物名称      货物单价(元)   1    某某科技股份有限公司      一卡通平台      350000
五、评审专家（单一来源采购人员）名单：
李某、陈某
六、代理服务收费标准及金额：
本项目代理费总金额：1.919201 万元（人民币）
七、公告期限
自本公告发布之日起1个工作日。
八、其它补充事宜
供应商名称：某某科技股份有限公司
得分：93.14分
九、凡对本次公告内容提出询问，请按以下方式联系。
1.采购人信息
名 称：某大学
2.采购代理机构信息
名 称：某某国际招标有限公司
""" + FOOTER


def test_award_fields():
    f = fields(AWARD)
    assert f.notice_type == "award"
    assert f.project_codes == ["0701-264106150500"]  # the bracket restates it under another label
    assert f.buyer == "某大学"
    assert f.agency == "某某国际招标有限公司"
    assert f.vendors == ["某某科技股份有限公司"]
    assert amounts(f) == [("award", 1472920)]  # not the agency fee, not the score
    assert f.published_at == dt.datetime(2026, 7, 29, 9, 7)
    assert f.bid_deadline is None


MULTI_LOT = """中央国家机关2026年打印机批量集中采购项目中标（成交）结果公告
一、项目基本情况
1．项目编号：GC-HCD260671
2．项目名称：中央国家机关2026年打印机批量集中采购项目
4．预算金额：758.760000万元
二、中标（成交）信息
第一包：
供应商名称：联想（北京）有限公司
中标（成交）金额：人民币177.449000 万元
第二包：
供应商名称：京瓷办公信息系统（中国）有限公司
中标（成交）金额：人民币103.155000 万元
第三包：
供应商名称：京瓷办公信息系统（中国）有限公司
中标（成交）金额：人民币122.005500 万元
三、主要中标（成交）标的信息
"""


def test_multi_lot_award_keeps_every_winner_once_and_every_amount():
    f = fields(MULTI_LOT)
    assert f.vendors == ["联想（北京）有限公司", "京瓷办公信息系统（中国）有限公司"]
    assert amounts(f) == [("award", 1031550), ("award", 1220055), ("award", 1774490), ("budget", 7587600)]
    assert f.project_codes == ["GC-HCD260671"]


def test_lot_annotations_are_not_part_of_the_winner():
    f = fields("三、中标（成交）信息\n供应商名称：包一：梅菲尔医疗科技(广州)有限公司\n"
               "供应商名称：江苏牧腾农业科技股份有限公司（包2）\n四、主要标的信息\n", title="某项目中标公告")
    assert f.vendors == ["梅菲尔医疗科技(广州)有限公司", "江苏牧腾农业科技股份有限公司"]


@pytest.mark.parametrize("value", [
    "联合体：甲乙建设集团有限公司（牵头人）、丙丁设计研究院有限公司（成员）",
    "甲乙建设集团有限公司(联合体：丙丁设计研究院有限公司)",
    "甲乙建设集团有限公司、丙丁设计研究院有限公司（联合体）",
])
def test_consortium_members_are_all_kept_lead_first(value):
    f = fields(f"三、中标（成交）信息\n供应商名称：{value}\n中标（成交）金额：405000（元）\n四、主要标的信息\n",
               title="某工程项目中标公告")
    assert f.vendors == ["甲乙建设集团有限公司", "丙丁设计研究院有限公司"]


def test_consortium_in_a_table_whose_cells_ran_together():
    text = ("三、中标（成交）信息\n1.中标结果：\n序号供应商名称供应商地址中标（成交）金额评审总得分1牵头供应商：甲乙工程管理咨询有限公司\n"
            "投标联合体：甲乙工程管理咨询有限公司、丙丁会计师事务所有限公司龙盛街898号报价：405000（元）84.47\n2.废标结果:\n")
    f = fields(text, title="某项目中标(成交)结果公告")
    assert f.vendors == ["甲乙工程管理咨询有限公司", "丙丁会计师事务所有限公司"]
    assert amounts(f) == [("award", 405000)]


def test_glued_result_rows_give_each_winner_and_its_price_not_the_address():
    text = ("三、中标（成交）信息\n1.中标结果：\n序号供应商名称供应商地址 中标（成交）金额评审总得分"
            "1太原华瑞启源科技有限公司山西综改示范区太原学府园区中心街26号报价：2345643（元）94.41"
            "2中科器湖北有限公司武汉东湖新技术开发区高新大道666号报价：591800（元）89.5\n2.废标结果:\n")
    f = fields(text, title="某公安局试剂耗材结果公告")
    assert f.vendors == ["太原华瑞启源科技有限公司", "中科器湖北有限公司"]
    assert amounts(f) == [("award", 591800), ("award", 2345643)]


def test_candidates_are_not_winners():
    text = ("一、项目编号：HX-2026-01\n二、中标候选人信息\n第一中标候选人：甲公司建设有限公司\n投标报价：100万元\n"
            "第二中标候选人：乙公司建设有限公司\n")
    f = fields(text, title="某道路工程中标候选人公示")
    assert f.notice_type == "award"
    assert f.vendors == []


def test_a_candidate_line_inside_an_award_is_skipped():
    text = ("三、中标（成交）信息\n中标候选人名称：乙公司建设有限公司\n供应商名称：甲公司建设有限公司\n"
            "中标（成交）金额：100（万元）\n四、主要标的信息\n")
    assert fields(text, title="某项目中标公告").vendors == ["甲公司建设有限公司"]


@pytest.mark.parametrize("line, pct", [
    ("下浮率：5%", 5), ("折扣率(%)：93.0000000", 93), ("中标（成交）金额：5.000000(%)", 5), ("费率：0.8%", 0.8),
    ("中标（成交）金额：65（%）", 65),
])
def test_rates_are_kept_as_percent(line, pct):
    f = fields(f"三、中标（成交）信息\n供应商名称：某某餐饮管理有限公司\n{line}\n四、主要标的信息\n", title="食材配送项目成交结果公告")
    assert [(a.kind, a.percent, a.value_cny) for a in f.amounts] == [("rate", pct, None)]


def test_a_label_naming_both_units_reads_as_rate_when_the_award_was_a_rate():
    head = "三、中标（成交）信息\n供应商名称：某某物业服务有限公司\n"
    rate = fields(head + "中标类型：折扣率中标\n中标（成交）金额（元）\\（%）：66.50\n", title="某项目成交公告")
    money = fields(head + "中标类型：总价中标\n中标（成交）金额（元）\\（%）：1423366.00\n", title="某项目成交公告")
    assert amounts(rate) == [("rate", 66.5)]
    assert amounts(money) == [("award", 1423366)]


def test_agency_fee_scales_are_not_award_amounts():
    text = ("三、中标（成交）信息\n供应商名称：某某保安服务有限公司\n中标（成交）金额：101.6633000（万元）\n"
            "六、代理服务收费标准及金额：\n本项目代理费收费标准：（中标金额：100万元及以下部分，费率：1.5%；中标金额：100-500万元部分，费率：0.8%）\n")
    assert amounts(fields(text, title="某项目中标公告")) == [("award", 1016633)]


def test_wan_yuan_column_of_a_table_rendered_one_cell_per_line():
    text = ("项目编号：HG-2026-01\n预算金额：1300.000000 万元（人民币）\n采购需求：\n标段号\n标的名称\n预算金额（人民币）\n"
            "标段一\n小型维修工程（一）\n450万元\n标段二\n小型维修工程（二）\n425万元\n标段三\n小型维修工程（三）\n425万元\n"
            "合同履行期限：一年\n")
    f = fields(text, title="某大学维修工程公开招标公告")
    assert amounts(f, "budget") == [("budget", 4250000), ("budget", 4500000), ("budget", 13000000)]


def test_wan_yuan_column_of_a_tab_table():
    text = ("现将采购意向公开如下：\n序号\t采购项目名称\t预算金额（万元）\t预计采购时间\n1\t视频会议服务采购\t6.5\t2026年2月\n"
            "2\t云资源租用服务\t120\t2026年3月\n")
    f = fields(text, title="某市人民政府办公室2026年1月至3月政府采购意向")
    assert f.notice_type == "intention"
    assert amounts(f) == [("budget", 65000), ("budget", 1200000)]


def test_unit_prices_from_a_price_table_and_its_total_row_skipped():
    text = ("合同编号：HT-2024-01\n项目编号：ZABM-2024-FW-019\n甲方（采购人）：某生物医药研究院\n乙方（供应商）：某数据科技有限公司\n"
            "第二条 分项报价表\n序号\t服务名称\t数量\t单价（元）\t金额（元）\n1\tGPU实例使用额度\t400实例小时\t698.00\t279,200.00\n"
            "2\t标准存储\t6个月\t2,800.00\t16,800.00\n\t合计\t\t\t296,000.00\n合同总金额：人民币贰拾玖万陆仟元整（¥296,000.00）。\n"
            "签订日期：2024年07月18日\n")
    f = fields(text, title="境外云计算服务合同")
    assert f.notice_type == "contract"
    assert f.buyer == "某生物医药研究院"
    assert f.vendors == ["某数据科技有限公司"]
    assert f.project_codes == ["ZABM-2024-FW-019"]  # 合同编号 is no project code
    assert amounts(f) == [("award", 296000), ("unit_price", 698), ("unit_price", 2800)]
    assert f.published_at == dt.date(2024, 7, 18)


CORRECTION = NAV.format(crumb="更正公告") + """## 某研究所显微成像平台采购项目更正公告
2026年08月04日 17:17 来源： 【打印】
一、项目基本情况
原公告的采购项目编号：OITC-G260160196
原公告的采购项目名称：某研究所显微成像平台采购项目
首次公告日期：2026年07月23日
二、更正信息
更正事项：采购公告
更正内容：
1、提交投标文件截止时间、开标时间更正为：8月21日 14：00（北京时间）
2、原预算金额：200万元，现更正为：180万元
3、其余不变
更正日期：2026年08月04日
三、其他补充事宜
无
四、凡对本次公告内容提出询问，请按以下方式联系。
1.采购人信息
名 称：某研究所
地址：北京市朝阳区大屯路15号
2.采购代理机构信息
名 称：东方某某招标有限责任公司
""" + FOOTER


def test_correction_fields():
    f = fields(CORRECTION)
    assert f.notice_type == "correction"
    assert f.project_codes == ["OITC-G260160196"]
    assert f.buyer == "某研究所"  # from the 采购人信息 block
    assert f.agency == "东方某某招标有限责任公司"
    # the new deadline, written without a year: the year of publication
    assert f.bid_deadline == dt.datetime(2026, 8, 21, 14, 0)
    assert amounts(f) == [("budget", 1800000)]  # the superseded 200万元 is not kept


@pytest.mark.parametrize("change, deadline", [
    ("原公告的响应文件提交截止时间：2026-07-29 09:00:00，更正为：2026-07-29 13:00:00。", dt.datetime(2026, 7, 29, 13, 0)),
    ("2、提交投标文件截止时间、开标时间：\n原内容：2026年07月21日 09点30分（北京时间）\n更正为：2026年07月24日 09点30分（北京时间）",
     dt.datetime(2026, 7, 24, 9, 30)),
    ("序号更正项更正前内容更正后内容1提交投标文件截止时间、开标时间2026年8月10日9时30分（北京时间）2026年8月24日9时30分（北京时间）",
     dt.datetime(2026, 8, 24, 9, 30)),
    ("本项目获取招标文件截止时间顺延至2026年8月4日16:30。", None),  # obtaining documents, not bids
    ("技术参数意见征求截止时间更改为2026年8月6日17:00。", None),
])
def test_correction_deadline_forms(change, deadline):
    text = f"二、更正信息\n更正事项：采购公告\n更正内容：\n{change}\n更正日期：2026年07月28日\n三、其他补充事宜\n"
    assert fields(text, title="某项目更正公告").bid_deadline == deadline


def test_a_corrected_result_names_the_new_winner_not_the_old_one():
    text = ("二、更正信息\n更正事项：采购结果\n更正内容：\n本项目原中标单位甲人力资源服务有限公司自愿放弃中标资格，"
            "现顺延至原第二名中标候选人乙人力资源服务有限公司\n更正日期：2026年08月04日\n三、其他补充事宜\n")
    assert fields(text, title="某项目中标结果更正公告").vendors == ["乙人力资源服务有限公司"]


@pytest.mark.parametrize("line, deadline", [
    ("提交投标文件截止时间：2026年08月26日 09点30分（北京时间）", dt.datetime(2026, 8, 26, 9, 30)),
    ("投标截止时间：2026年8月13日14时30分", dt.datetime(2026, 8, 13, 14, 30)),
    ("响应文件提交截止时间：2026-08-14 09:30:00", dt.datetime(2026, 8, 14, 9, 30)),
    ("提交投标文件截止时间：2026年8月19日09时", dt.datetime(2026, 8, 19, 9, 0)),
    ("投标截止时间：2026年8月7日下午2时30分", dt.datetime(2026, 8, 7, 14, 30)),
])
def test_tender_deadline_with_dian_shi_and_colons(line, deadline):
    assert fields(f"一、项目基本情况\n项目编号：X-2026-1\n{line}\n", title="某项目公开招标公告").bid_deadline == deadline


def test_deadline_heading_with_the_date_on_the_next_line():
    text = "## 四、提交投标文件截止时间、开标时间和地点\n2026-09-02 08:30:00（北京时间）\n地点：某市\n"
    assert fields(text, title="某设备采购项目公开招标公告").bid_deadline == dt.datetime(2026, 9, 2, 8, 30)


def test_awards_have_no_deadline():
    assert fields(AWARD).bid_deadline is None


def test_html_summary_meta_is_used_when_the_text_is_silent():
    meta = {"summary": {"采购单位": "某区教育局", "行政区域": "某区"}, "breadcrumb": ["首页", "政采公告", "成交公告"],
            "ArticleTitle": "某区教育局课桌椅采购成交公告", "PubDate": "2026-05-28 11:08"}
    f = fields("三、中标（成交）信息\n供应商名称：某家具有限公司\n成交金额：12.5万元\n", meta=meta, kind="html")
    assert (f.notice_type, f.buyer, f.region, f.published_at) == ("award", "某区教育局", "某区", dt.datetime(2026, 5, 28, 11, 8))
    assert f.title == "某区教育局课桌椅采购成交公告"


def test_hints_fill_only_what_the_document_does_not_say():
    f = fields("项目编号：A-1\n采购人：某医院\n", hints={"buyer": "别的单位", "region": "某省", "notice_type": "tender"})
    assert (f.buyer, f.region, f.notice_type) == ("某医院", "某省", "tender")


@pytest.mark.parametrize("hint, want", [
    ("2026-08-05 13:17", dt.datetime(2026, 8, 5, 13, 17)),  # a list page's text
    ("2026-08-05T13:17:45+08:00", dt.datetime(2026, 8, 5, 13, 17)),  # ISO, as a stored list_meta gives it back
    ("2026年8月5日", dt.date(2026, 8, 5)),
    (dt.date(2026, 8, 5), dt.date(2026, 8, 5)),
    ("未知", None),  # no date to read: nothing is invented
])
def test_a_list_page_date_becomes_the_date_value_where_the_document_gives_none(hint, want):
    assert fields("项目编号：A-1\n采购人：某医院\n", hints={"published_at": hint}).published_at == want


def test_a_list_page_date_gives_its_year_to_a_deadline_written_without_one():
    text = "一、项目基本情况\n项目编号：X-2026-1\n提交投标文件截止时间：8月18日 9:00\n"
    f = fields(text, title="某项目公开招标公告", hints={"published_at": "2025/07/30 10:00"})
    assert f.bid_deadline == dt.datetime(2025, 8, 18, 9, 0)


def test_title_heading_replaces_a_truncated_header_title():
    f = fields("## 某研究所2026年度改善科研条件专项资金项目显微成像平台采购项目更正公告\n",
               title="某研究所2026年度改善科研条件专项资金项目...")
    assert f.title == "某研究所2026年度改善科研条件专项资金项目显微成像平台采购项目更正公告"


def test_project_code_forms():
    assert fields("一、项目编号\n HJZB-ZCFW-2026-087\n二、采购计划备案号\n 420108-2026-01078\n").project_codes == [
        "HJZB-ZCFW-2026-087", "420108-2026-01078"]
    assert fields(" 采购项目编号：N5117222026000078信息来源：四川省\n").project_codes == ["N5117222026000078"]
    assert fields("1、项目编号：豫财招标采购-2026-943 2、项目名称：某医院医疗废物处置服务项目\n").project_codes == [
        "豫财招标采购-2026-943"]
    assert fields("项目编号：BJJQ-2026-670-01、02、03\n").project_codes == ["BJJQ-2026-670-01、02、03"]
    assert fields("项目编号：XNJZ-G-2026-010、TLYQ2026-06080\n").project_codes == ["XNJZ-G-2026-010", "TLYQ2026-06080"]
    assert fields("合同编号：HT-001\n").project_codes == []


def test_an_explicit_note_on_the_real_buyer_wins():
    text = ("采购单位某消防救援支队行政区域江苏省\n1.采购人信息\n名 称：某消防救援支队\n"
            "6.因系统限制，本项目采购单位名称应为“某市消防救援局”\n")
    assert fields(text).buyer == "某市消防救援局"


def test_foreign_currency_amounts_keep_their_currency_and_are_not_yuan():
    text = "三、中标（成交）信息\n供应商名称：某仪器设备有限公司\n中标金额：US$745,800.00\n四、主要标的信息\n"
    [a] = fields(text, title="某设备中标公告").amounts
    assert (a.kind, a.currency, a.value, a.value_cny, a.raw) == ("award", "USD", 745800, None, "US$745,800.00")


def test_empty_document():
    f = fields("")
    assert f.buyer is None and f.amounts == [] and f.evidence == []


def test_an_attachment_fills_only_what_the_body_leaves_open_and_evidence_names_it():
    body = DocumentText(text="一、项目编号：QLDX-CG-2024-0517\n采购人：青岚大学\n三、中标（成交）信息\n详见附件\n",
                        kind="html", title="青岚大学推理服务器采购中标公告")
    contract = DocumentText(text="甲方（采购人）：别的大学\n乙方（供应商）：武汉楚曜计算技术有限公司\n合同总金额：人民币121万元\n",
                            kind="pdf", name="合同.pdf", title="推理服务器采购合同")
    f = extract_fields(body, [contract], {})
    assert f.buyer == "青岚大学"  # the body's, not the attachment's
    assert f.vendors == ["武汉楚曜计算技术有限公司"]
    assert amounts(f) == [("award", 1210000)]
    assert {e.document for e in f.evidence if e.field in ("vendors", "amounts")} == {"合同.pdf"}
    assert {e.document for e in f.evidence if e.field == "buyer"} == {""}


def test_a_scan_attachment_is_not_read():
    body = DocumentText(text="采购人：某大学\n", kind="html", title="某项目中标公告")
    scan = DocumentText(text="(cid:12)(cid:34)", kind="pdf", name="scan.pdf", needs_ocr=True)
    assert extract_fields(body, [scan], {}).vendors == []


def test_correction_table_rows_give_the_new_amounts():
    text = ("二、更正信息\n更正事项：更正采购文件\n更正内容：\n 序号 更正项 更正前内容 更正后内容 1 采购数量 / 无菌熔接片：数量1,560(个)；"
            "预算金额28,560.00元 2 采购数量 / 机采管路(单份)：数量2,500(套)；预算金额1,850,000.00元\n更正日期：2026年07月29日\n")
    assert amounts(fields(text, title="某血站耗材采购更正公告")) == [("budget", 28560), ("budget", 1850000)]


def test_values_on_the_line_after_their_label():
    text = ("一、项目基本情况\n原公告的采购项目编号：\nNNZC2026-C2-240099-ZXXM\n原公告的采购项目名称：\n某水厂管网改造工程\n"
            "二、更正信息\n更正内容：\n由于原成交单位放弃，确定下一候选人为成交供应商。\n供应商名称：北京之渡教育科技有限公司\n成交金额：\n"
            "人民币大写：壹拾壹万玖仟柒佰捌拾玖元\n人民币小写：￥119789.00元\n更正日期：2026年7月20日\n"
            "四、凡对本次公告内容提出询问，请按以下方式联系：1.采购人信息\n名称：\n某县水利局\n")
    f = fields(text, title="某项目成交公告更正公告")
    assert f.project_codes == ["NNZC2026-C2-240099-ZXXM"]
    assert f.buyer == "某县水利局"
    assert f.vendors == ["北京之渡教育科技有限公司"]
    assert amounts(f) == [("award", 119789)]
