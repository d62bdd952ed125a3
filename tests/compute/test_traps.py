"""Look-alikes that must not become cases: each trap of issue 4 in sentences of our own."""

from compute_helpers import notice


def test_yunnan_and_yunfu_are_places_not_clouds():
    f = notice("云南省第一人民医院彩色超声诊断仪采购项目中标公告\n"
               "采购需求：彩色多普勒超声诊断仪1台，交货地点：云南省昆明市；供应商：云浮市云安区医疗器械有限公司。")
    assert not f.remote_compute and f.cloud_providers == []


def test_zhengcaiyun_portal_boilerplate_is_not_a_cloud_purchase():
    f = notice("某派出所警营文化设施采购项目公告\n采购需求：文化墙制作安装1项。\n"
               "供应商可在政采云平台获取采购文件，或拨打政采云服务热线95763获取帮助。\n"
               "本项目通过政府采购云平台（政采云）在线开标。")
    assert not f.remote_compute and f.cloud_providers == []


def test_meeting_room_a100_and_building_a30_are_not_chips():
    f = notice("某研究所液相色谱-质谱联用仪采购项目招标公告\n"
               "开标地点：某研究所综合楼A100会议室\n采购需求：质谱联用仪1台，安装于A30栋实验楼二层。")
    assert f.gpu_models == [] and not f.hardware_purchase and not f.remote_compute


def test_h20_inside_a_pump_model_code_is_not_a_chip():
    f = notice("某市排水管理处潜水排污泵采购项目成交结果公告\n"
               "主要标的：潜水排污泵 规格型号 H20-150-22 6台，单价38500元。")
    assert f.gpu_models == [] and not f.hardware_purchase


def test_microsoft_office_and_windows_licences_are_not_azure():
    f = notice("某学院正版软件采购项目中标公告\n"
               "采购需求：Microsoft Office专业增强版永久授权300套、Windows 11专业版升级授权300套，原厂授权书。")
    assert not f.remote_compute and f.cloud_providers == []


def test_amazon_kindle_ebooks_are_not_aws():
    f = notice("某图书馆电子阅读器采购合同\n合同标的：亚马逊Kindle电子书阅读器40台及Amazon Kindle电子书1200册，服务期1年。")
    assert not f.remote_compute and f.cloud_providers == []


def test_tencent_meeting_is_not_tencent_cloud():
    f = notice("某市政府办公室政府采购意向\n采购需求概况：采购腾讯会议商业版账号50个，服务期1年，用于视频会商。")
    assert not f.remote_compute and f.cloud_providers == []


def test_security_assessment_of_a_government_cloud_is_not_renting_it():
    f = notice("某市政务云平台网络安全等级保护测评服务项目更正公告\n"
               "更正内容：测评对象为政务云平台（含云主机资源池、云安全资源池），本项目不涉及云资源租用。")
    assert not f.remote_compute and not f.hardware_purchase


def test_machine_room_construction_without_rental_is_nothing():
    f = notice("某研究院智算中心机房基础设施改造工程施工合同\n"
               "工程概况：机房装修、UPS及精密空调，本合同不包含任何服务器、GPU等计算设备的供货，亦不包含算力服务。")
    assert not f.remote_compute and not f.hardware_purchase


def test_maintenance_of_the_buyers_own_hpc_cluster_is_nothing():
    f = notice("某研究所高性能计算集群运维服务项目更正公告\n"
               "服务范围：本所自有高性能计算集群（GPU计算节点8个、A100加速卡32块）的硬件巡检与作业调度系统维护。")
    assert not f.remote_compute and not f.hardware_purchase


def test_buying_gpu_servers_is_a_purchase_not_remote_compute():
    f = notice("某大学人工智能学院GPU服务器采购项目中标公告\n"
               "主要标的：GPU服务器1台，配置8块NVIDIA A100 80GB SXM4，安装于采购人机房，质保3年。")
    assert f.hardware_purchase and not f.remote_compute
    assert f.gpu_models == ["nvidia-a100"]


def test_a_notice_can_buy_servers_and_rent_cloud_gpus():
    f = notice("某学院人工智能实训平台建设项目\n"
               "包1：采购GPU服务器2台，每台配置8块NVIDIA L40S，交付后归采购人所有。\n"
               "包2：采购阿里云GPU云服务器资源10个实例（gn7i，单实例1块A10），服务期12个月。")
    assert f.hardware_purchase and f.remote_compute
    assert f.compute_kinds == ["cloud", "gpu_rental"]
    assert f.cloud_providers == ["alibaba-cloud"]
    assert f.gpu_models == ["nvidia-a10", "nvidia-l40s"]


def test_cloud_deployment_refused_leaves_only_the_purchase():
    f = notice("某医院大模型本地化部署算力服务器采购项目\n"
               "采购需求：推理服务器2台，每台配置8块NVIDIA H20 96GB GPU。设备部署于医院数据中心机房，不接受云端部署方案。")
    assert f.hardware_purchase and not f.remote_compute


def test_a_cloud_that_could_not_supply_is_not_a_provider():
    f = notice("某实验室大模型训练云计算服务采购项目\n"
               "采购需求：采购亚马逊云科技（AWS）境外区域云计算服务，服务期6个月。\n"
               "采购理由：国内阿里云平台现有可分配资源不能满足大规模训练需求。")
    assert f.cloud_providers == ["aws"]
    assert "offshore" in f.flags and "us_provider" in f.flags


def test_qualification_clause_about_cloud_licences_is_not_the_object():
    f = notice("某学院办公设备采购项目公告\n二、申请人的资格要求：\n1.投标人须具有增值电信业务经营许可证（IDC或云服务业务）。\n"
               "三、采购需求：\n打印机20台。")
    assert not f.remote_compute


def test_billing_unit_look_alikes_in_ordinary_clauses():
    f = notice("某单位网络设备维保服务项目\n采购需求：服务期内停机时间不超过4小时，资格审核时间为3个工作日，门禁刷卡时记录日志，"
               "随机时段抽查，服务期12个月。")
    assert not f.remote_compute


def test_machine_time_inside_a_longer_word_is_still_machine_time():
    f = notice("某研究所科学计算机时服务采购项目公开招标公告\n品目：服务/商务服务/租赁服务（不带操作员）/计算机设备和软件租赁服务\n"
               "采购需求：科学计算机时服务，服务期12个月。")
    assert f.compute_kinds == ["hpc"]


def test_racks_rented_for_the_buyers_own_gpu_servers_are_colocation_not_gpu_rental():
    f = notice("某大学数据中心IDC机柜租用项目\n采购需求：租用机柜10个，用于托管学校自有GPU服务器，服务期1年。")
    assert not f.remote_compute


def test_software_as_a_service_is_not_cloud_compute():
    f = notice("某局政务短信平台服务项目\n采购需求：短信云服务及电子签章云服务，服务期1年，按条计费结算。")
    assert not f.remote_compute


def test_instrument_machine_time_is_not_computing_time():
    f = notice("某大学冷冻电镜测试服务项目\n采购需求：冷冻电镜测试机时120机时，单价900元/机时，服务期1年。")
    assert not f.remote_compute
    f = notice("某大学科学计算服务项目\n采购需求：计算集群CPU机时300万机时，服务期1年。")
    assert f.compute_kinds == ["hpc"]


def test_angle_steel_size_is_not_a_chip_count():
    f = notice("某连廊钢结构材料采购\n采购清单：角钢L20×3共2吨、槽钢，交货至施工现场。")
    assert f.gpu_models == [] and not f.hardware_purchase


def test_cloud_company_name_is_not_a_cloud_service():
    f = notice("某县政府协同办公软件服务成交公告\n成交供应商：阿里云计算有限公司，成交内容：协同办公软件服务，服务期1年。")
    assert not f.remote_compute and f.cloud_providers == []


def test_integrated_graphics_is_not_an_accelerator():
    f = notice("某学校教室设备采购\n采购需求：智能平板20台，内置电脑（集成显卡），交货后安装调试。")
    assert not f.hardware_purchase


def test_english_sentence_wrapped_over_two_lines_is_one_sentence():
    f = notice("Tender for public cloud services\nThe Department requires public cloud virtual machines and storage,\n"
               "subscription for 36 months, pay-as-you-go.")
    assert f.compute_kinds == ["cloud"]


def test_a_map_api_is_not_a_model_api():
    f = notice("某市城管局地图服务项目\n采购需求：地图开放平台API调用服务，年调用量1000万次，服务期1年。")
    assert not f.remote_compute
    f = notice("某中心智能问答服务项目\n采购需求：大模型API调用服务，调用额度5000万tokens，服务期1年。")
    assert f.compute_kinds == ["model_api"]


def test_renting_vehicles_with_onboard_compute_is_no_compute_rental():
    f = notice("某市智能网联汽车测试服务项目\n采购需求：租用L4级自动驾驶测试车辆5台（车载算力平台254TOPS），服务期6个月。")
    assert not f.remote_compute and f.gpu_models == []


def test_colocation_of_the_buyers_own_gpu_servers_is_nothing():
    f = notice("某大学GPU服务器托管服务项目\n采购需求：将学校自有GPU服务器20台托管至运营商数据中心，提供机柜及网络，服务期1年。")
    assert not f.remote_compute and not f.hardware_purchase


def test_english_no_negates_its_clause_but_a_number_sign_does_not():
    f = notice("Development of a records system\nThe system runs on existing servers; no cloud services or GPU rental "
               "are required.")
    assert not f.remote_compute
    f = notice("Tender No. 2025/017 GPU rental services\nRental of 64 NVIDIA H800 GPUs hosted in the supplier's data "
               "centre, service period 6 months.")
    assert f.compute_kinds == ["gpu_rental"]


def test_servers_rented_and_hosted_abroad_are_a_rental():
    f = notice("某研究院境外服务器托管服务项目\n采购需求：租用境外GPU服务器2台（每台8卡A100），由服务商托管运维，服务期1年。")
    assert f.compute_kinds == ["gpu_rental"] and not f.hardware_purchase


def test_high_performance_computing_servers_bought_to_own_are_not_hpc_time():
    # 高性能计算服务 is a service; 高性能计算服务器 is a machine: the longer word decides.
    f = notice("某勘探公司地震资料处理中心高性能计算服务器采购招标公告\n"
               "采购内容：高性能计算服务器40台（每台2颗64核CPU、1TB内存），交付至招标人机房并完成安装调试，设备所有权归招标人。")
    assert not f.remote_compute and f.compute_kinds == []
