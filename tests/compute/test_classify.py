"""Compute-case decisions on small notices of our own: kinds, providers, chips, flags and their evidence, in
Simplified and Traditional Chinese and in English."""

import datetime as dt

import pytest

from compute_helpers import notice
from extract.types import DocumentText


def test_aws_gpu_account_through_an_intermediary():
    f = notice("某大学科研云计算资源（境外）服务采购项目中标公告\n"
               "五、主要标的信息：Amazon Web Services（AWS）境外区域账号服务，账号须可使用EC2 p4d.24xlarge"
               "（8×NVIDIA A100）及p5.48xlarge GPU实例，服务期12个月。",
               published_at=dt.date(2024, 3, 19), vendors=["成都某云联信息技术有限公司"])
    assert f.remote_compute and f.compute_kinds == ["cloud", "gpu_rental"]
    assert f.cloud_providers == ["aws"]
    assert f.gpu_models == ["nvidia-a100", "nvidia-h100"]
    assert f.flags == ["us_provider", "controlled_chip", "intermediary", "offshore"]
    fields = {e.field for e in f.evidence}
    assert {"remote_compute", "compute_kinds:cloud", "compute_kinds:gpu_rental", "cloud_providers:aws",
            "gpu_models:nvidia-a100", "flags:us_provider"} <= fields


def test_evidence_points_at_the_sentence_in_its_document():
    text = "某研究院GPU算力租赁服务项目\n采购需求：租用NVIDIA H800 GPU 64卡，服务期12个月。\n联系电话：010-1234567"
    f = notice(text)
    for e in f.evidence:
        assert e.document == ""
        assert text[e.start:e.end] == e.text
    assert any("H800" in e.text for e in f.evidence if e.field == "gpu_models:nvidia-h800")


def test_evidence_in_an_attachment_names_the_attachment():
    body = "某大学科研服务采购项目招标公告\n详见附件。"
    att = DocumentText(text="第三章 采购需求\n租用昇腾910B算力256卡，由供应商在其智算中心提供，服务期1年。", kind="pdf",
                       name="招标文件.pdf")
    f = notice(body, attachments=[att])
    assert f.remote_compute and f.gpu_models == ["huawei-ascend-910b"]
    ev = [e for e in f.evidence if e.field == "remote_compute"]
    assert ev and ev[0].document == "招标文件.pdf" and att.text[ev[0].start:ev[0].end] == ev[0].text


def test_model_api_tokens_through_a_reseller():
    f = notice("某大学生成式人工智能平台大模型API服务采购项目成交结果公告\n"
               "主要标的：微软Azure OpenAI服务GPT-4模型API调用，按实际调用tokens计费，4000万tokens，3.20元/万tokens。",
               published_at=dt.date(2024, 5, 28), vendors=["四川某数智科技有限公司"])
    assert f.compute_kinds == ["model_api"]
    assert f.cloud_providers == ["azure"]
    assert "intermediary" in f.flags and "us_provider" in f.flags


def test_hpc_core_hours():
    f = notice("某研究所区域气候模拟超算机时服务采购项目单一来源采购公示\n"
               "采购需求概况：购买超级计算中心CPU计算机时600万核时，服务期12个月。拟定单价：0.045元/核时。")
    assert f.compute_kinds == ["hpc"] and not f.hardware_purchase


def test_government_cloud_lease_on_a_named_platform():
    f = notice("某市电子政务云资源租赁服务项目中标结果公告\n"
               "服务范围：依托天翼云政务云平台向全市各部门提供云主机、块存储、对象存储等服务资源，按需开通。")
    assert f.compute_kinds == ["cloud"] and f.cloud_providers == ["ctyun"] and f.flags == []


def test_chip_described_only_by_specifications():
    f = notice("某研究院蛋白质结构预测模型训练智能算力服务采购项目\n"
               "采购需求：由供应商在其智算中心提供独占算力资源，合计128卡。\n"
               "加速卡显存：单卡显存容量80GB HBM2e，显存带宽2039GB/s\n"
               "加速卡算力：单卡FP16 Tensor Core稠密算力312 TFLOPS\n"
               "卡间互联：节点内卡间NVLink互联带宽600GB/s")
    assert f.gpu_models == ["nvidia-a100"]
    assert "gpu_rental" in f.compute_kinds


def test_specs_matching_two_chips_map_to_none():
    # 80 GB HBM2e and 312 TFLOPS fit both A100 and A800: without the NVLink figure no single chip matches
    f = notice("某研究院智能算力租赁服务项目\n采购需求：租用加速卡128卡，单卡显存容量80GB HBM2e，单卡FP16算力312 TFLOPS。")
    assert f.gpu_models == []


def test_cancellation_keeps_the_flags_of_the_rental():
    f = notice("某医科大学医疗大模型推理算力租赁服务项目终止公告\n"
               "二、项目终止的原因：本项目原采购内容为租用NVIDIA H20 96GB GPU算力32卡，服务期12个月。因采购需求变化，终止本项目。",
               published_at=dt.date(2025, 10, 28))
    assert f.remote_compute and f.compute_kinds == ["gpu_rental"]
    assert f.gpu_models == ["nvidia-h20"] and "controlled_chip" in f.flags


def test_correction_keeps_the_hardware_purchase():
    f = notice("某大学A800 GPU服务器采购项目更正公告\n"
               "更正内容：GPU服务器4台，每台8块NVIDIA A800 80GB，接口由PCIe更正为SXM4。")
    assert f.hardware_purchase and not f.remote_compute and f.gpu_models == ["nvidia-a800"]


@pytest.mark.parametrize("day,controlled", [(dt.date(2025, 4, 8), False), (dt.date(2025, 4, 9), True),
                                             (dt.date(2024, 6, 1), False)])
def test_controlled_chip_depends_on_the_notice_date(day, controlled):
    f = notice("某研究院H20算力租赁服务项目\n采购需求：租用NVIDIA H20 GPU 32卡，服务期12个月。", published_at=day)
    assert ("controlled_chip" in f.flags) is controlled


def test_domestic_only_compute_service():
    f = notice("某研究院国产智能算力租赁服务项目\n采购需求：租用昇腾910B智能算力256卡，拒绝进口，服务期1年。")
    assert f.remote_compute and "domestic_only" in f.flags and "us_provider" not in f.flags


def test_offshore_gpu_servers_rented_in_hong_kong():
    f = notice("某人工智能研究院境外GPU算力租用服务采购项目公开招标公告\n"
               "采购需求：租用部署于中国香港或新加坡数据中心的GPU算力服务器4台，每台配置8块NVIDIA H100 80GB SXM5 GPU，"
               "服务器所有权归投标人。")
    assert f.compute_kinds == ["gpu_rental"] and "offshore" in f.flags
    assert not f.hardware_purchase


# --------------------------------------------------------------------------- Traditional Chinese
def test_traditional_chinese_cloud_gpu_rental():
    f = notice("某大學人工智慧研究中心雲端GPU算力租賃服務採購案\n"
               "採購需求：透過亞馬遜雲科技（AWS）租用GPU雲伺服器，每台配置8張NVIDIA A100，服務期12個月，按量計費。")
    assert f.remote_compute and {"cloud", "gpu_rental"} <= set(f.compute_kinds)
    assert f.cloud_providers == ["aws"] and f.gpu_models == ["nvidia-a100"]


def test_traditional_chinese_hardware_purchase():
    f = notice("某大學深度學習伺服器採購案\n採購需求：採購GPU伺服器2台，每台配置8張NVIDIA H100顯卡，交貨後安裝調試，保固3年。")
    assert f.hardware_purchase and not f.remote_compute and f.gpu_models == ["nvidia-h100"]


# --------------------------------------------------------------------------- English
def test_english_cloud_gpu_instances():
    f = notice("Procurement of cloud computing services for AI research\n"
               "Scope of work: rental of GPU instances on Amazon Web Services (p5.48xlarge, 8x NVIDIA H100) "
               "through an authorised partner, billed on-demand, service period 12 months.",
               published_at=dt.date(2024, 7, 1))
    assert f.remote_compute and {"cloud", "gpu_rental"} <= set(f.compute_kinds)
    assert f.cloud_providers == ["aws"] and f.gpu_models == ["nvidia-h100"]
    assert {"us_provider", "controlled_chip", "intermediary"} <= set(f.flags)


def test_english_model_api_tokens():
    f = notice("Tender for large language model API access\n"
               "Requirements: Azure OpenAI Service, 100 million tokens, billed per 1,000 tokens, "
               "subscription of 12 months.")
    assert "model_api" in f.compute_kinds and f.cloud_providers == ["azure"]


def test_english_server_purchase_is_hardware():
    f = notice("Purchase of GPU servers for the computing lab\n"
               "Requirements: 2 GPU servers, each with 8 NVIDIA L40S cards; delivery, installation and "
               "3-year warranty.")
    assert f.hardware_purchase and not f.remote_compute and f.gpu_models == ["nvidia-l40s"]


def test_full_width_names_are_folded():
    f = notice("某研究院ＧＰＵ算力租赁服务项目\n采购需求：租用ＮＶＩＤＩＡ Ａ１００ ８０ＧＢ共６４卡，服务期６个月。")
    assert f.gpu_models == ["nvidia-a100"] and f.compute_kinds == ["gpu_rental"]


def test_ordinary_notice_is_nothing():
    f = notice("某小学食堂设备采购项目中标公告\n主要标的：不锈钢操作台1200*760*800mm 10张，冷藏柜2台，交货后安装调试。")
    assert f == type(f)()


def test_traditional_provider_name_glued_to_a_service_word():
    f = notice("某大學雲端服務採購案\n採購內容：租用Google雲端平台運算資源及GPU虛擬機，服務期一年。")
    assert f.cloud_providers == ["google-cloud"] and "cloud" in f.compute_kinds and "us_provider" in f.flags


def test_spec_only_h100_with_a_network_port_in_gigabits():
    # 400Gb/s is a network port (small b), not an NVLink or memory figure
    f = notice("某研究院算力租赁项目\n采购需求：租用加速卡64卡，单卡显存80GB HBM3，显存带宽3.35TB/s，卡间互联带宽900GB/s（NVLink），"
               "节点间网络400Gb/s，服务期6个月。")
    assert f.gpu_models == ["nvidia-h100"]


def test_building_name_after_a_real_chip_mention_does_not_hide_it():
    f = notice("某研究院GPU服务器采购项目\n采购需求：采购GPU服务器2台（8卡H100），安装于A30实验楼机房，交货后安装调试。")
    assert f.gpu_models == ["nvidia-h100"] and f.hardware_purchase


def test_english_rental_without_a_cloud():
    f = notice("Tender for rental of GPU compute capacity. Requirements: 64 NVIDIA H800 GPUs hosted in the supplier "
               "data centre, accessed remotely. Service period 6 months.")
    assert f.compute_kinds == ["gpu_rental"] and f.gpu_models == ["nvidia-h800"]


def test_overseas_cloud_as_the_channel_of_a_model_api_is_model_api_only():
    f = notice("某中心大语言模型接口服务采购公告\n采购需求：通过境外云平台采购Claude大模型API接口调用服务，预计调用量5000万tokens，按量付费。")
    assert f.compute_kinds == ["model_api"] and "offshore" in f.flags


def test_account_top_up_bought_on_someones_behalf_is_an_intermediary():
    f = notice("某高校海外云服务采购项目成交公告\n成交内容：代采购AWS（美国区域）云服务资源，包括GPU计算实例（A100）使用额度，"
               "成交供应商负责账号充值及账单结算。", published_at=dt.date(2024, 5, 1))
    assert f.compute_kinds == ["cloud", "gpu_rental"] and f.cloud_providers == ["aws"]
    assert f.flags == ["us_provider", "controlled_chip", "intermediary", "offshore"]


def test_private_cloud_maintenance_with_gpu_servers_is_nothing():
    f = notice("某大学校级云平台运维服务采购\n服务内容：对学校私有云平台（含GPU服务器20台）提供7×24小时运维保障，服务期1年。")
    assert not f.remote_compute and not f.hardware_purchase


def test_cloud_resources_won_by_the_providers_own_company_name_the_provider():
    f = notice("某研究院云资源服务采购项目中标公告\n采购需求：云资源服务1项，服务期1年。\n供应商名称：中国移动通信集团广东有限公司",
               vendors=["中国移动通信集团广东有限公司"])
    assert f.compute_kinds == ["cloud"] and f.cloud_providers == ["ecloud"] and "intermediary" not in f.flags
    assert any(e.field == "cloud_providers:ecloud" for e in f.evidence)
    # a reseller that is no provider's company names no provider
    f = notice("某研究院云资源服务采购项目中标公告\n采购需求：云资源服务1项，服务期1年。", vendors=["某某信息技术有限公司"])
    assert f.cloud_providers == []


def test_price_per_machine_of_gpu_servers_is_a_gpu_rental_and_of_cloud_servers_a_cloud():
    f = notice("某公司渲染算力项目\n采购需求：GPU服务器（8卡RTX 4090）租赁，单价300元/台/天，共20台，租期90天。")
    assert f.compute_kinds == ["gpu_rental"]
    f = notice("某学院云服务器项目\n采购需求：云服务器（16核64G）20台，单价800元/台/月，服务期1年。")
    assert f.compute_kinds == ["cloud"]


def test_a_server_said_to_have_no_gpu_is_no_accelerator_purchase():
    f = notice("某单位服务器采购项目\n采购需求：机架式服务器4台（2颗CPU，256G内存，无GPU），交货后安装调试。")
    assert not f.hardware_purchase
