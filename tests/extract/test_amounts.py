"""Amount parsing (extract/fields/amounts.py): every money and rate form the BidAgent gold set and the
compute-cases documents use, and the forms cn2an gets wrong (../shared/reference/nlp-and-pdf.md §3.1)."""

import pytest

from extract.fields.amounts import find_money, parse_amount, unit_factor
from extract.fields.numerals import cn_int


@pytest.mark.parametrize(
    "raw, yuan",
    [
        # forms of the gold set's amount values
        ("472.500000万元", 4725000),
        ("7997000.00", 7997000),  # bare: the label or column decides the unit (default 元)
        ("282.000000 万元（人民币）", 2820000),
        ("147.2920000（万元）", 1472920),
        ("647.550400 万元", 6475504),
        ("1,133,188.37元", 1133188.37),
        ("332,200.00元", 332200),
        ("405000（元）", 405000),
        ("30606700元", 30606700),
        ("8000000.00 元", 8000000),
        ("137.6968(万元)", 1376968),
        ("8(万元)", 80000),
        ("1518800.00（元）", 1518800),
        ("136.000000万元（人民币）", 1360000),
        ("450万元", 4500000),
        ("1358766.00(元)", 1358766),
        ("920,000.00", 920000),
        ("￥271.740000 万元", 2717400),
        ("￥421,549.38", 421549.38),
        ("￥409.300000 万元（人民币）", 4093000),
        ("人民币177.449000 万元", 1774490),
        ("¥82,137,436.00", 82137436),
        ("ＲＭＢ１２０万元", 1200000),  # full-width letters and digits
        ("１，２３４，５００．００元", 1234500),  # full-width digits and comma
        ("2.5亿元", 250000000),
        ("0.000000万元", 0),  # stated as zero: kept, not dropped
    ],
)
def test_digit_amounts_normalise_to_yuan(raw, yuan):
    m = parse_amount(raw)
    assert m is not None and m.percent is None
    assert m.value_cny == pytest.approx(yuan)


@pytest.mark.parametrize(
    "raw, yuan",
    [
        ("壹佰贰拾万元整", 1200000),
        ("壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角捌分", 12345678.98),
        ("壹拾万零伍佰元整", 100500),
        ("壹亿贰仟万元整", 120000000),
        ("肆拾伍万陆仟柒佰捌拾玖元零壹分", 456789.01),  # 元零X分: cn2an fails in every mode
        ("壹元零伍分", 1.05),
        ("陆拾捌亿陆仟贰佰玖拾玖元整", 6800006299),  # 亿 without 零: cn2an raises KeyError
        ("玖仟陆佰陆拾伍圆壹角捌分", 9665.18),
        ("伍角", 0.5),
        ("拾万元整", 100000),
        ("人民币肆拾贰万壹仟伍佰肆拾玖元叁角捌分", 421549.38),
    ],
)
def test_capital_amounts(raw, yuan):
    m = parse_amount(raw)
    assert m is not None and m.capital
    assert m.value_cny == pytest.approx(yuan)


def test_capital_and_figures_side_by_side_agree():
    found = find_money("人民币壹佰贰拾万元整（¥1,200,000.00）")
    assert [m.value_cny for m in found] == [1200000, 1200000]


@pytest.mark.parametrize("raw, pct", [("5.000000(%)", 5), ("65（%）", 65), ("24.3（%）", 24.3), ("77.98%", 77.98),
                                      ("下浮 3 %", 3), ("０.８％", 0.8)])
def test_rates_are_percentages_not_money(raw, pct):
    m = parse_amount(raw)
    assert m.value_cny is None
    assert m.percent == pytest.approx(pct)


def test_a_bare_number_under_a_rate_label_is_a_percentage():
    (m,) = find_money("97.0000000", default_percent=True)
    assert m.percent == 97 and m.value_cny is None


@pytest.mark.parametrize("raw, yuan", [("540 元 / 趟", 540), ("17.8168000（万元/年）", 178168), ("3.20元/万tokens", 3.2),
                                       ("0.045元/核时", 0.045)])
def test_per_unit_prices_are_flagged(raw, yuan):
    m = parse_amount(raw)
    assert m.per_unit
    assert m.value_cny == pytest.approx(yuan)


def test_bare_number_takes_the_unit_of_its_label_or_column():
    assert parse_amount("120", default_factor=unit_factor("预算金额（人民币万元）")).value_cny == 1200000
    assert parse_amount("3847600", default_factor=unit_factor("预算金额（元）")).value_cny == 3847600
    assert unit_factor("金额") is None


def test_bare_number_is_no_amount_without_a_unit_when_asked():
    assert find_money("得分 91.5", default_factor=None) == []


@pytest.mark.parametrize("text", ["投标报价为6个月算力服务总价", "评审得分98.5分", "共10台"])
def test_counts_and_scores_are_not_money(text):
    assert find_money(text) == []


@pytest.mark.parametrize("raw", ["US$745,800.00", "10万美元", "€1,000", "HK$5,000"])
def test_foreign_currency_is_not_read_as_yuan(raw):
    m = parse_amount(raw)
    assert m.foreign and m.value_cny is None


def test_offsets_point_at_the_amount_in_the_original_string():
    s = "中标（成交）金额：人民币１７７．４４９０００ 万元，其余不变"
    (m,) = find_money(s)
    assert s[m.start:m.end] == "人民币１７７．４４９０００ 万元"


def test_several_amounts_in_one_value():
    assert [m.value_cny for m in find_money("2097600,400000,1350000")] == [2097600, 400000, 1350000]


@pytest.mark.parametrize("s, n", [("壹佰贰拾万", 1200000), ("二〇二六", 2026), ("十五", 15), ("一百九十万零三千九百七十一", 1903971),
                                  ("两百万", 2000000), ("万", 0)])
def test_chinese_integers(s, n):
    assert cn_int(s) == n


def test_cn_int_rejects_other_text():
    assert cn_int("元整") is None
