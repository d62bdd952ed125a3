"""The mechanisms behind issue 12's real wording, each on its own (the red-team notices i12-* / i12b-* in
data/redteam.toml test them end to end): inline pinyin, chips given by specifications, losing bids, hosted model
services sized without tokens, SaaS subscriptions, chips as topics, rented servers set up by the provider."""

import re

import pytest

from compute_helpers import notice
from extract.compute.lexicon import load_lexicon
from extract.compute.nlp import infer_spec_chip, spec_figures, spec_matches
from extract.compute.pinyin import strip_pinyin
from extract.compute.structure import split_sentences
from extract.compute import find_compute
from extract.documents import read_document
from extract.pipeline import extract_notice
from extract.types import NoticeFields
from test_redteam import CASES

LEX = load_lexicon()


# ---------------------------------------------------------------------------------------------------- inline pinyin
@pytest.mark.parametrize("annotated, plain", [
    ("顯(xiǎn)卡(kǎ)", "顯卡"),
    ("云（yún）服（fú）务（wù）器（qì）", "云服务器"),
    ("租 zū 用 yòng 云主机", "租用云主机"),
    ("显卡（xiǎn kǎ）", "显卡"),
    ("算(suan4)力(li4)", "算力"),
])
def test_inline_pinyin_is_removed(annotated, plain):
    assert strip_pinyin(annotated)[0] == plain


@pytest.mark.parametrize("text", ["采购GPU服务器(A100)2台", "云服务 (cloud) hosting", "型号(abc)", "deepseek 模型"])
def test_latin_text_that_is_not_a_reading_stays(text):
    assert strip_pinyin(text) == (text, None)


def test_evidence_in_pinyin_text_points_at_the_original_characters():
    text = "某小学云资源服务项目\n采购内容：租(zū)用(yòng)云(yún)服(fú)务(wù)器(qì)8台，服务期一年。"
    f = notice(text)
    assert f.remote_compute and f.compute_kinds == ["cloud"]
    for e in f.evidence:
        assert text[e.start:e.end] == e.text
    assert any("租(zū)用(yòng)" in e.text for e in f.evidence)


# ------------------------------------------------------------------------------------------------ specifications
def test_memory_size_is_exact_so_141gb_is_the_h200_not_the_gh200():
    figs = spec_figures("显存容量141GB HBM3e，显存带宽4.8TB/s")
    assert spec_matches([figs], LEX) == ["nvidia-h200"]


def test_figures_that_fit_two_chips_name_none():
    figs = spec_figures("GPU显存48GB GDDR6，FP8算力733 TFLOPS")  # L40S, and the RTX 6000 Ada within 1 %
    assert len(spec_matches([figs], LEX)) == 2 and infer_spec_chip([figs], LEX) is None


def test_cuda_cores_and_memory_name_a_graphics_card():
    figs = spec_figures("显卡CUDA核心数16,384个，显存24GB GDDR6X")
    assert figs["cuda_cores"] == 16384 and infer_spec_chip([figs], LEX) == "nvidia-rtx-4090"


def test_a_workstation_whose_card_is_given_by_specifications_is_an_accelerator_purchase():
    f = notice("建筑学院渲染工作站采购项目\n技术参数：独立显卡CUDA核心不少于5000个，显存12GB，交货后安装调试。")
    assert f.hardware_purchase and not f.remote_compute and f.gpu_models == []


# ---------------------------------------------------------------------------------------------------- losing bids
def test_a_losing_bid_label_covers_its_line_and_a_numbered_section_until_the_next():
    text = ("一、中标信息\n中标供应商：甲公司\n未中标供应商：乙公司；丙公司\n中标内容：云主机\n"
            "五、未成交供应商信息\n丁公司\n戊公司\n六、其他补充事宜\n无")
    zones = {s.text: s.zone for s in split_sentences(text)}
    assert zones["未中标供应商：乙公司"] == zones["丙公司"] == "losing"
    assert zones["中标内容：云主机"] != "losing"
    assert zones["丁公司"] == zones["戊公司"] == "losing"
    assert zones["无"] != "losing"


def test_a_provider_named_only_among_losing_bids_is_not_the_provider():
    f = notice("某局云服务器租用服务中标公告\n中标供应商：某某网络科技有限公司\n中标内容：云服务器租用，服务期一年。\n"
               "第二中标候选人：天翼云科技有限公司", vendors=["某某网络科技有限公司"])
    assert f.remote_compute and f.cloud_providers == []


# ------------------------------------------------------------------------------------------ hosted model services
def test_a_model_service_sized_by_calls_is_a_model_api_case():
    f = notice("某区政务大模型问答服务项目\n服务内容：供应商提供大模型推理服务，年调用次数不少于100万次，服务期一年。")
    assert f.compute_kinds == ["model_api"]


def test_call_counts_of_a_model_deployed_locally_are_not_a_hosted_service():
    f = notice("某区政务大模型问答系统项目\n服务内容：大模型推理服务本地化部署于采购人机房，支持并发不少于50路。")
    assert not f.remote_compute


def test_call_counts_without_a_model_are_not_a_model_service():
    f = notice("某局短信平台服务项目\n服务内容：短信接口调用次数不少于100万次，服务期一年。")
    assert not f.remote_compute


def test_renting_gpus_for_a_model_service_is_gpu_rental_only():
    f = notice("某医院推理算力租赁项目\n采购内容：租用H20 GPU算力32卡，服务期12个月，用于大模型推理服务部署。")
    assert f.compute_kinds == ["gpu_rental"]


# -------------------------------------------------------------------------------------------- SaaS and topics
def test_a_saas_subscription_described_as_cloud_service_is_not_compute():
    f = notice("某校云服务订阅项目\n采购内容：在线学习平台账号2000个（SaaS），订阅一年。")
    assert not f.remote_compute and not f.compute_candidate


def test_a_notice_naming_iaas_beside_saas_still_buys_cloud():
    f = notice("某市云服务采购项目\n采购内容：IaaS云服务（云主机、云存储）及SaaS应用，按年订阅，服务期三年。")
    assert f.remote_compute and "cloud" in f.compute_kinds


def test_chips_in_a_course_are_topics_not_chips():
    f = notice("人工智能培训课程采购项目\n课程内容：A100与H800 GPU架构、昇腾910B编程，共32课时。")
    assert f.gpu_models == [] and not f.hardware_purchase


def test_chips_bought_for_a_course_are_chips():
    f = notice("人工智能实训室建设项目\n采购内容：用于实训课程的GPU服务器2台，每台配置4张NVIDIA A100，交货后安装调试。")
    assert f.hardware_purchase and f.gpu_models == ["nvidia-a100"]


# --------------------------------------------------------------------------------------------- rental vs purchase
def test_servers_set_up_by_a_rental_provider_are_not_bought():
    f = notice("某研究院GPU算力租用服务项目\n服务内容：租用A800 GPU算力64卡，服务期一年。\n"
               "供应商负责A800服务器的上架、安装调试与运维。")
    assert f.compute_kinds == ["gpu_rental"] and not f.hardware_purchase


def test_a_rental_notice_that_also_buys_servers_is_both():
    f = notice("某研究院GPU算力租用及服务器采购项目\n包1：租用A800 GPU算力64卡，服务期一年。\n"
               "包2：采购GPU服务器2台（每台8卡L40S），交货后安装调试。")
    assert f.remote_compute and f.hardware_purchase


# ---------------------------------------------------------------------- the same notice in other scripts and forms
def _traditional(text: str) -> str:
    from hanziconv import HanziConv

    return HanziConv.toTraditional(text)


_READINGS = ("yòng", "fú", "wù", "qì", "shì", "ā", "lǜ")


def _with_pinyin(text: str) -> str:
    """Every Chinese character followed by a toned reading, alternately bracketed and bare (the reading need not be
    the right one: what matters is that annotation between characters does not break the terms)."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        if "\u4e00" <= ch <= "\u9fff":
            r = _READINGS[i % len(_READINGS)]
            out.append(f"({r})" if i % 2 else f" {r} ")
    return "".join(out)


SIMPLIFIED = [c for c in CASES if c.get("format", "txt") == "txt" and re.search("[\u4e00-\u9fff]", c["text"])
              and not c["id"].startswith(("tw-", "hk-", "i12-tw", "i12b-tw", "i12c-tw"))]


def _findings(text: str, fields: NoticeFields) -> dict:
    c = find_compute(read_document(text.encode("utf-8"), name="notice.txt"), [], fields)
    return {k: getattr(c, k) for k in ("remote_compute", "compute_kinds", "hardware_purchase", "cloud_providers",
                                       "gpu_models", "flags")}


@pytest.mark.parametrize("case", SIMPLIFIED, ids=[c["id"] for c in SIMPLIFIED])
def test_a_notice_in_traditional_characters_or_with_inline_pinyin_finds_the_same(case):
    # the fields (winning vendor, date) as read from the plain notice: this tests the compute matching alone
    f = extract_notice(read_document(case["text"].encode("utf-8"), name="notice.txt")).fields
    fields = NoticeFields(vendors=f.vendors, published_at=f.published_at)
    want = _findings(case["text"], fields)
    assert want["remote_compute"] == case["remote_compute"] and want["gpu_models"] == sorted(case["gpu_models"])
    assert _findings(_traditional(case["text"]), fields) == want, "Traditional"
    assert _findings(_with_pinyin(case["text"]), fields) == want, "pinyin"
