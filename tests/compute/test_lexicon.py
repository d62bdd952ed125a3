"""Every entry of the lexicon data files, in small sentences of our own. The cases are generated from the data, so
a provider, chip, instance type, term or billing unit added to extract/compute/data/ is tested without editing
this file."""

import re

import pytest

from extract.compute.lexicon import load_lexicon, norm_key
from extract.compute.nlp import get_nlp

from compute_helpers import notice

LEX = load_lexicon()
ENTRIES = LEX.phrase_entries()


def _group(name):
    return [(g.kinds, t) for g in LEX.groups if g.name == name for t in g.terms]


@pytest.mark.parametrize("frame", ["本项目{}相关内容", "采购{}。", "{}"])
@pytest.mark.parametrize("label,key,text", ENTRIES, ids=[f"{l}:{t}" for l, _, t in ENTRIES])
def test_every_entry_is_recognised_in_context(label, key, text, frame):
    sentence = frame.format(text)
    doc = get_nlp()(sentence)
    found = {(lab, kb, norm_key(sentence[s:e])) for _g, s, e, lab, kb in doc.user_data["hits"]}
    assert (label, key, norm_key(text)) in found, [t.text for t in doc]
    assert any(sp.label_ == label and sp.kb_id_ == key for sp in doc.spans["compute"])  # and a spaCy span


@pytest.mark.parametrize("provider,name", [(p.id, n) for p in LEX.providers.values() for n in p.names])
def test_provider_name_names_the_provider_of_a_rented_cloud(provider, name):
    f = notice(f"某大学科研云计算资源服务采购项目\n采购需求：通过{name}租用云服务器，服务期12个月。")
    assert f.remote_compute
    assert provider in f.cloud_providers
    assert any(e.field == f"cloud_providers:{provider}" for e in f.evidence)


@pytest.mark.parametrize("provider,name,kind",
                         [(p.id, n, k) for p in LEX.providers.values() for n, k in p.products])
def test_provider_product_implies_provider_and_kind(provider, name, kind):
    f = notice(f"某研究院科研计算服务项目\n采购需求：开通{name}服务，按实际用量计费，服务期12个月。")
    assert provider in f.cloud_providers
    assert kind in f.compute_kinds


@pytest.mark.parametrize("chip,name", [(c.id, n) for c in LEX.chips.values() for n in c.names])
def test_chip_name_in_a_rental(chip, name):
    f = notice(f"某研究院GPU算力租赁服务项目\n采购需求：租用8卡{name}算力资源，服务期6个月。")
    assert f.gpu_models == [chip]
    assert f.remote_compute and "gpu_rental" in f.compute_kinds
    assert not f.hardware_purchase


@pytest.mark.parametrize("chip,name", [(c.id, n) for c in LEX.chips.values() for n in c.names])
def test_chip_name_in_a_server_purchase(chip, name):
    f = notice(f"某大学GPU服务器采购项目\n采购需求：采购GPU服务器2台，每台配置8块{name}，交货后负责安装调试。")
    assert f.gpu_models == [chip]
    assert f.hardware_purchase and not f.remote_compute


@pytest.mark.parametrize("inst", LEX.instances, ids=[i.example for i in LEX.instances])
def test_instance_type_names_its_chip_and_provider(inst):
    f = notice(f"某实验室云计算服务项目\n采购需求：租用{inst.example}实例10台，服务期6个月。")
    assert inst.chip in f.gpu_models
    assert inst.provider in f.cloud_providers
    assert {"cloud", "gpu_rental"} <= set(f.compute_kinds)


def _machine(term):
    """机时 needs a computing word beside it (电镜机时 is instrument time), a generic API word a model word (地图API调用
    is no model access): say what the machine or the API is."""
    if re.match(LEX.patterns["machine_time"], norm_key(term)):
        return "超算中心"
    return "大模型" if re.match(LEX.patterns["generic_api"], norm_key(term)) else ""


SERVICE = _group("service") + _group("service_weak")


@pytest.mark.parametrize("kinds,term", SERVICE, ids=[t for _, t in SERVICE])
def test_service_term_beside_a_rental_word_is_remote_compute(kinds, term):
    f = notice(f"某单位信息化服务项目\n采购需求：本项目租用{_machine(term)}{term}，服务期12个月。")
    assert f.remote_compute
    assert set(kinds) <= set(f.compute_kinds)


STRONG_SERVICE = _group("service")


@pytest.mark.parametrize("kinds,term", STRONG_SERVICE, ids=[t for _, t in STRONG_SERVICE])
def test_service_term_in_the_title_is_the_object(kinds, term):
    f = notice(f"某大学{_machine(term)}{term}采购项目\n一、项目编号：XX-2025-001")
    assert set(kinds) <= set(f.compute_kinds)


@pytest.mark.parametrize("kind,example",
                         [(u["kind"], e) for u in LEX.patterns["billing_units"] for e in u["examples"]])
def test_billing_unit_with_a_number_gives_its_kind(kind, example):
    f = notice(f"某单位计算服务项目\n采购需求：计算资源按{example}结算，服务期12个月。")
    assert kind in f.compute_kinds


HARDWARE = [t for _, t in _group("hardware")]


@pytest.mark.parametrize("term", HARDWARE)
def test_accelerator_hardware_bought_is_a_purchase(term):
    f = notice(f"某大学设备采购项目\n采购需求：采购{term}2台，配置NVIDIA GPU加速卡，交货后负责安装调试。")
    assert f.hardware_purchase and not f.remote_compute


@pytest.mark.parametrize("term", [t for _, t in _group("offshore")])
def test_offshore_term_flags_a_remote_case(term):
    f = notice(f"某实验室云服务器租用项目\n采购需求：租用亚马逊云科技云服务器，部署于{term}，服务期12个月。")
    assert "offshore" in f.flags


@pytest.mark.parametrize("term", [t for _, t in _group("intermediary")])
def test_intermediary_term_flags_a_reseller(term):
    f = notice(f"某大学云资源服务项目\n采购需求：通过{term}开通阿里云云服务器资源，服务期12个月。")
    assert "intermediary" in f.flags


@pytest.mark.parametrize("term", [t for _, t in _group("domestic_only")])
def test_domestic_only_term_flags_a_case(term):
    f = notice(f"某中心服务器采购项目\n采购需求：采购GPU服务器2台，配置8块昇腾910B加速卡，要求{term}，交货后安装调试。")
    assert f.hardware_purchase
    assert "domestic_only" in f.flags


@pytest.mark.parametrize("term", [t for _, t in _group("negation")])
def test_negated_service_is_not_sought(term):
    f = notice(f"某学院办公家具采购项目\n采购需求：本项目{term}云服务器租用，仅采购办公家具。")
    assert not f.remote_compute


@pytest.mark.parametrize("term", [t for _, t in _group("unavailable")])
def test_provider_that_could_not_supply_is_not_the_provider(term):
    f = notice(f"某实验室大模型训练云计算服务项目\n采购需求：经测试阿里云平台资源{term}需求，故租用亚马逊云科技（AWS）"
               f"云服务器，服务期6个月。")
    assert f.cloud_providers == ["aws"]


@pytest.mark.parametrize("term", [t for _, t in _group("non_compute")])
def test_service_about_a_cloud_is_not_compute(term):
    f = notice(f"某市政务云平台{term}服务项目\n采购需求：对政务云平台云服务器资源开展{term}，服务期12个月。")
    assert not f.remote_compute and not f.hardware_purchase


@pytest.mark.parametrize("term", [t for _, t in _group("trap")])
def test_trap_word_names_no_provider_and_seeks_nothing(term):
    f = notice(f"{term}相关服务项目\n采购需求：{term}服务，服务期12个月。")
    assert not f.remote_compute and f.cloud_providers == [] and f.gpu_models == []
