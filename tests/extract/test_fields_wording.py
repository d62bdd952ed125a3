"""Notice fields on real wording (issue 12): English notices, Traditional notices of Taiwan, Hong Kong and Macau,
university procurement pages without a buyer label, names with contacts or money glued on, contracts in PDF, and
the region of a 市辖区 (issue 18 item 15). The notices are written for these tests (tests/fixtures/notices/, all
names fictional); each test is one phenomenon, read through `read_document` as a crawled file would be."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from extract.documents import read_document
from extract.fields import extract_fields
from extract.fields.amounts import find_money
from extract.fields.dates import find_dates
from extract.fields.text import fold
from extract.types import DocumentText

NOTICES = Path(__file__).resolve().parents[1] / "fixtures" / "notices"


def notice(name: str):
    doc = read_document((NOTICES / name).read_bytes(), name=name)
    f = extract_fields(doc, [], {})
    for e in f.evidence:  # every value points at the characters it came from
        assert doc.text[e.start:e.end] == e.text, e
    return f


def money(f):
    return sorted((a.kind, a.currency, a.value, a.value_cny) for a in f.amounts)


def evidence(f, field):
    return [e.text for e in f.evidence if e.field == field]


# ------------------------------------------------------------------------------------------ English notices


def test_english_tender_notice_gives_reference_department_closing_time_and_estimate():
    f = notice("hk_tender_en.txt")
    assert f.notice_type == "tender"
    assert f.title == "TENDER NOTICE"
    assert f.project_codes == ["LRO T25-0419"]
    assert f.buyer == "Lantau Records Office"
    assert f.published_at == dt.date(2025, 9, 26)
    assert f.bid_deadline == dt.datetime(2025, 10, 17, 12, 0)  # "12:00 noon, 17 October 2025 (Friday)"
    assert money(f) == [("budget", "HKD", 12_500_000, None)]  # "HK$12.5 million"


def test_english_award_notice_gives_procuring_entity_contractor_and_contract_sum():
    f = notice("hk_award_en.txt")
    assert f.notice_type == "award"
    assert f.project_codes == ["TKM/SP/2025/031"]
    assert f.buyer == "Tsing Kwai Markets Department"
    # "Address of Contractor:" is the winner's address, not a second winner
    assert f.vendors == ["Lion Rock Data Services Limited"]
    assert f.published_at == dt.date(2025, 8, 8)  # the date of award, the only date the notice gives


def test_a_bare_dollar_is_the_dollar_of_the_place_the_notice_names():
    f = notice("hk_award_en.txt")  # "$3,860,000.00" in a notice whose contractor is in Hong Kong
    assert money(f) == [("award", "HKD", 3_860_000, None)]
    assert evidence(f, "amounts") == ["$3,860,000.00"]


def test_english_labels_match_in_any_case():
    text = "TENDER REFERENCE: ABC/2025/7\nPROCURING ENTITY: Fairview Water Authority\nCLOSING DATE: 3 Nov 2025\n"
    f = extract_fields(DocumentText(text=text, kind="text", title="Invitation to Tender"), [], {})
    assert (f.project_codes, f.buyer, f.bid_deadline) == (["ABC/2025/7"], "Fairview Water Authority", dt.date(2025, 11, 3))


# ------------------------------------------------------------------------------------------ Traditional notices


def test_traditional_characters_match_simplified_labels_and_values_stay_as_written():
    f = notice("tc_ccgp_style_award.txt")  # a ccgp-style result notice written in Traditional characters
    assert f.notice_type == "award"
    assert f.project_codes == ["LNGX-2025-FW-088"]
    assert f.buyer == "嶺南工學院"  # as the document writes it, not converted
    assert f.agency == "五邑招標代理有限公司"
    assert f.vendors == ["粵海算力科技有限公司"]
    assert money(f) == [("award", "CNY", 1_280_000, 1_280_000)]


def test_taiwan_award_in_a_key_value_table_gives_agency_case_number_winner_and_amounts_in_new_taiwan_dollars():
    f = notice("tw_award_tc.html")
    assert f.notice_type == "award"  # 決標公告
    assert f.project_codes == ["CH1140825"]  # 標案案號
    assert f.buyer == "新北市立翠湖高級中學"  # 機關名稱
    assert f.vendors == ["翠谷資訊股份有限公司"]  # 得標廠商; 未得標廠商 is a losing bidder
    assert f.published_at == dt.date(2025, 9, 15)  # 公告日期 114/09/15 in the ROC era
    # "1,180,000元" in a notice that states its money in 新臺幣 is in New Taiwan dollars, not yuan
    assert money(f) == [("award", "TWD", 1_180_000, None), ("budget", "TWD", 1_250_000, None)]


def test_taiwan_tender_deadline_is_the_closing_of_bids_not_the_opening():
    f = notice("tw_tender_tc.txt")
    assert f.notice_type == "tender"
    assert f.buyer == "臺中市立松柏醫院"
    assert f.project_codes == ["SB114-033"]
    assert f.published_at == dt.date(2025, 9, 1)  # 民國114年9月1日
    assert f.bid_deadline == dt.datetime(2025, 10, 1, 17, 0)  # 截止投標 114/10/01 17:00, not 開標時間 114/10/02
    assert money(f) == [("budget", "TWD", 35_000_000, None)]  # 新臺幣3,500萬元


def test_macau_award_gives_awarding_entity_awarded_company_and_patacas():
    f = notice("mo_award_tc.txt")
    assert f.notice_type == "award"  # 判給公告, on the third line under the government's and the bureau's names
    assert f.title == "公開招標 — 判給公告"
    assert f.project_codes == ["07/TDS/2025"]
    assert f.buyer == "氹仔數據服務局"
    assert f.vendors == ["濠江雲端科技有限公司"]
    assert money(f) == [("award", "MOP", 2_368_000, None)]
    assert f.published_at == dt.date(2025, 8, 22)


@pytest.mark.parametrize("title,kind", [
    ("無法決標公告", "cancellation"), ("決標公告", "award"), ("公開招標公告", "tender"), ("變更公告", "correction"),
    ("更正公告", "correction"), ("Notice of Award of Contract", "award"), ("CORRIGENDUM No. 2", "correction"),
    ("Invitation to Tender", "tender"), ("Cancellation of Tender", "cancellation"), ("批出合約通知", "award"),
])
def test_traditional_and_english_notice_types(title, kind):
    assert extract_fields(DocumentText(text=title + "\n", kind="text", title=title), [], {}).notice_type == kind


def test_fold_maps_traditional_to_simplified_one_character_for_one():
    s = "採購單位：澳門元 新臺幣 決標金額 裏 綫"
    assert fold(s) == "采购单位:澳门元 新台币 决标金额 里 线"
    assert len(fold(s * 50)) == len(s * 50)
    assert fold("乾隆 显著") == "乾隆 显著"  # characters that are Simplified too are left alone


# ------------------------------------------------------------------------------------------ currencies and dates


@pytest.mark.parametrize("text,currency,value", [
    ("HK$12.5 million", "HKD", 12_500_000), ("MOP 3,280,000.00", "MOP", 3_280_000), ("1,000,000.00澳門元", "MOP", 1_000_000),
    ("新臺幣 1,250萬元", "TWD", 12_500_000), ("NT$3,500萬元", "TWD", 35_000_000), ("120万港元", "HKD", 1_200_000),
    ("US$745,800.00", "USD", 745_800), ("250,000 patacas", "MOP", 250_000), ("人民币177.449万元", "CNY", 1_774_490),
])
def test_money_keeps_its_value_and_its_currency(text, currency, value):
    [m] = find_money(text)
    assert (m.currency, m.value) == (currency, value)
    assert m.value_cny == (value if currency == "CNY" else None)  # no exchange rate is assumed
    assert (m.start, m.end) == (0, len(text))  # the currency mark is part of the amount's evidence


def test_a_rate_the_notice_states_converts_to_yuan():
    text = "三、中标（成交）信息\n供应商名称：某仪器设备有限公司\n中标金额：US$100,000.00，汇率：1美元=7.1000元人民币\n"
    [a] = extract_fields(DocumentText(text=text, kind="text", title="某设备中标公告"), [], {}).amounts
    assert (a.currency, a.value, a.value_cny) == ("USD", 100_000, 710_000)


@pytest.mark.parametrize("text,want", [
    ("民國114年9月15日 下午2時30分", dt.datetime(2025, 9, 15, 14, 30)), ("114/09/15", dt.date(2025, 9, 15)), ("中華民國99年1月5日", dt.date(2010, 1, 5)),
    ("15 September 2025 (Monday) 12:00 noon", dt.datetime(2025, 9, 15, 12, 0)), ("September 15, 2025 at 5:00 p.m.", dt.datetime(2025, 9, 15, 17, 0)),
    ("5:00 p.m. on 2 October 2025", dt.datetime(2025, 10, 2, 17, 0)), ("15/09/2025 14:30", dt.datetime(2025, 9, 15, 14, 30)),
    ("09/10/2025", dt.date(2025, 10, 9)), ("Sept. 3, 2025", dt.date(2025, 9, 3)),
])
def test_english_and_roc_dates(text, want):
    [h] = find_dates(text)
    assert h.value() == want and (h.start, h.end) == (0, len(text))


# ------------------------------------------------------------------------------------------ university pages


def test_university_page_buyer_is_the_institution_whose_procurement_office_heads_it():
    f = notice("uni_header.txt")
    assert f.buyer == "江城理工大学"
    assert f.title == "江城理工大学高性能计算平台扩容采购项目招标公告"  # not the office's header line


def test_university_page_buyer_from_the_signature_above_the_date():
    f = notice("uni_signature.txt")
    assert f.buyer == "江北医科大学"
    assert money(f) == [("budget", "CNY", 960_000, 960_000)]


def test_university_page_buyer_from_the_institution_its_title_opens_with():
    assert notice("uni_title.txt").buyer == "江州师范学院计算机学院"


def test_a_portal_page_with_no_notice_gets_no_buyer_from_its_headline():
    text = "江城大学新闻网\n江城大学召开2026年采购工作会议\n3月2日，学校召开采购工作会议。\n"
    assert extract_fields(DocumentText(text=text, kind="text"), [], {}).buyer is None


# ------------------------------------------------------------------------------------------ glued contacts and money


def test_phone_numbers_glued_to_organisations_are_cut_off():
    f = notice("glued_contacts.txt")
    assert f.buyer == "溪山县人民医院"  # "溪山县人民医院0571-63451234"
    assert f.agency == "溪山招标咨询有限公司"  # "…有限公司（联系电话：0571-63458888）"


def test_amounts_glued_to_winners_are_cut_off_and_kept_as_the_award():
    f = notice("glued_contacts.txt")
    assert f.vendors == ["云岭智联科技有限公司"]  # "云岭智联科技有限公司 中标金额：96.5万元"
    g = notice("glued_contacts2.txt")
    assert g.vendors == ["蓝湾云计算有限公司"]  # "蓝湾云计算有限公司￥1,280,000.00元"
    assert money(g) == [("award", "CNY", 1_280_000, 1_280_000)]
    assert g.buyer == "东川区数据局"  # "东川区数据局联系人：赵工 电话13800001111"


# ------------------------------------------------------------------------------------------ contracts in PDF


def _contract_pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setFont("STSong-Light", 12)
    y = 800
    for line in lines:
        c.drawString(60, y, line)
        y -= 22
    c.save()
    return buf.getvalue()


def test_contract_pdf_titled_by_its_own_name_is_a_contract():
    data = _contract_pdf(["澜江市政务云服务续期合同", "合同编号：LJ-ZWY-2026-07", "甲方（采购人）：澜江市大数据管理局",
                          "乙方（供应商）：澜江云联科技有限公司", "合同金额：人民币叁佰陆拾万元整（¥3,600,000.00）",
                          "签订日期：2026年6月30日"])
    doc = read_document(data, name="contract.pdf")
    assert doc.kind == "pdf" and "续期合同" in doc.text
    f = extract_fields(doc, [], {})
    assert f.notice_type == "contract"
    assert f.buyer == "澜江市大数据管理局"
    assert f.vendors == ["澜江云联科技有限公司"]
    assert f.published_at == dt.date(2026, 6, 30)


def test_contract_pdf_without_a_contract_title_is_a_contract_by_its_parties():
    data = _contract_pdf(["合同编号：LJ-ZWY-2026-08", "甲方：澜江市大数据管理局", "乙方：澜江云联科技有限公司",
                          "服务内容：政务云资源扩容（云主机200台）", "签订日期：2026年7月1日"])
    f = extract_fields(read_document(data, name="attachment.pdf"), [], {})
    assert f.notice_type == "contract"
    data = _contract_pdf(["合同编号：LJ-ZWY-2026-09", "采购人（甲方）：澜江市大数据管理局", "供应商（乙方）：澜江云联科技有限公司",
                          "签订日期：2026年7月2日"])
    assert extract_fields(read_document(data, name="attachment2.pdf"), [], {}).notice_type == "contract"


# ------------------------------------------------------------------------------------------ region (issue 18 item 15)


def test_region_city_districts_names_the_city_from_the_buyers_address():
    f = notice("region_city_districts.txt")  # 行政区域市辖区; 地址：北原市海河区迎宾路18号
    assert f.region == "北原市"
    assert evidence(f, "region") == ["北原市"]


def test_region_district_keeps_the_district_under_its_city():
    assert notice("region_district.txt").region == "青岚市翠屏区"


def test_region_city_districts_names_the_city_from_the_buyer_or_the_title():
    assert notice("region_title_only.txt").region == "南江市"


def test_region_placeholder_without_a_city_anywhere_is_no_region():
    text = "公告概要：采购单位某研究所行政区域市辖区公告时间2026年05月06日\n1.采购人信息\n名 称：某研究所\n"
    assert extract_fields(DocumentText(text=text, kind="text"), [], {}).region is None


def test_region_as_stated_stays_as_stated():
    text = "公告概要：采购单位某学院行政区域浙江省公告时间2026年05月06日\n1.采购人信息\n名 称：某学院\n地址：杭州市西湖区1号\n"
    assert extract_fields(DocumentText(text=text, kind="text"), [], {}).region == "浙江省"


# ------------------------------------------------------------------------------------------ more Hong Kong wording


def test_hong_kong_chinese_tender_with_closing_time_at_noon_and_money_in_plain_numerals():
    f = notice("hk_tender_tc.txt")
    assert f.notice_type == "tender"
    assert f.project_codes == ["LCSD/TC/2025/118"]  # 招標編號
    assert f.buyer == "康樂及文化事務署資訊科技組"  # 採購部門
    assert f.bid_deadline == dt.datetime(2025, 10, 17, 12, 0)  # 截標日期及時間：…中午12時正
    assert money(f) == [("budget", "HKD", 8_000_000, None)]  # 預算：港幣八百萬元
    assert evidence(f, "amounts") == ["港幣八百萬元"]


def test_a_currency_named_in_the_label_applies_to_its_bare_number():
    f = notice("hk_award_en_table_units.txt")  # "Contract Value (HK$): 4,520,000"
    assert money(f) == [("award", "HKD", 4_520_000, None)]
    assert f.project_codes == ["HKPL-T-2025-02"]  # the tender reference, not the contract number
    assert f.vendors == ["Kai Tak Cloud Solutions Co., Ltd."]  # the abbreviation keeps its dot


def test_english_corrigendum_gives_the_revised_closing_date():
    f = notice("hk_corrigendum_en.html")
    assert f.notice_type == "correction"
    assert f.buyer == "Marine Ports Works Office"  # a key-value table row
    assert f.bid_deadline == dt.datetime(2025, 10, 24, 12, 0)  # the revised date, not the original one


def test_english_buyer_from_the_sentence_that_invites_tenders():
    f = notice("en_invites_tenders.txt")  # "The Shatin Harbour Hospital invites tenders for …", no label
    assert f.buyer == "Shatin Harbour Hospital"
    assert f.bid_deadline == dt.datetime(2025, 10, 17, 12, 0)  # "17-Oct-2025 at 12:00"
    assert money(f) == [("budget", "HKD", 2_400_000, None)]  # an estimated contract sum is no award


def test_buyer_from_the_agencys_sentence_of_acting_on_its_behalf():
    f = notice("agency_on_behalf.txt")  # "受青禾医科大学附属医院委托，青禾永信招标有限公司对…进行竞争性磋商"
    assert f.buyer == "青禾医科大学附属医院"
    assert f.title == "青禾医科大学附属医院智能体平台服务项目竞争性磋商公告"


def test_english_award_table_gives_every_successful_tenderer_and_its_sum_in_the_columns_currency():
    f = notice("en_award_table.html")
    assert f.notice_type == "award"
    assert f.buyer == "Northern District Works Office"
    assert f.vendors == ["Pat Heung Computing Limited", "Lam Tsuen Cloud Company Limited"]
    assert money(f) == [("award", "HKD", 880_500, None), ("award", "HKD", 1_236_000, None)]  # "Contract Sum (HK$)"
    assert f.published_at == dt.date(2025, 9, 30)


def test_taiwan_values_on_the_line_under_their_labels():
    f = notice("tw_award_next_line.txt")  # "機關名稱：⏎臺北市政府資訊局"
    assert (f.buyer, f.vendors) == ("臺北市政府資訊局", ["北辰雲端科技股份有限公司"])
    assert money(f) == [("award", "TWD", 5_480_000, None)]
    assert f.published_at == dt.date(2025, 8, 29)  # 決標公告日期：114/08/29


def test_hong_kong_chinese_award_of_contract():
    f = notice("hk_award_tc.txt")  # 批出合約通知
    assert f.notice_type == "award"
    assert (f.buyer, f.vendors) == ("機電工程署", ["啟德雲運算有限公司"])  # 獲批出合約的承辦商
    assert money(f) == [("award", "HKD", 1_980_000, None)]  # 港幣1,980,000元
    assert f.published_at == dt.date(2025, 9, 12)
