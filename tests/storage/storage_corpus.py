"""A small corpus of realistic notices for the search tests: real cases, hardware buys and look-alikes
(云南, 政采云, 阿里巴巴, a meeting room called A100, an A10 card)."""

from storage_helpers import Spec

from extract.types import Amount

CORPUS = [
    Spec(
        key="aliyun",
        title="清华大学计算机系阿里云云服务器租用项目公开招标公告",
        body=(
            "项目编号：TH-2024-0311\n采购人：清华大学\n采购代理机构：中化商务有限公司\n"
            "一、采购需求：租用阿里云ECS云服务器及GPU实例（NVIDIA A100 80GB）各若干，提供不少于2000卡时的算力，"
            "服务期一年。\n二、预算金额：人民币180万元。\n三、投标截止时间：2024年6月18日09:30。"
        ),
        buyer="清华大学",
        agency="中化商务有限公司",
        project_code="TH-2024-0311",
        region="北京市",
        published_at="2024-05-28",
        amounts=[Amount("budget", 1_800_000.0, "180万元")],
        remote_compute=True,
        compute_kinds=["cloud", "gpu_rental"],
        providers=["alibaba-cloud"],
        chips=["nvidia-a100"],
        flags=["controlled_chip"],
    ),
    Spec(
        key="huawei",
        title="某研究院华为云算力服务采购项目竞争性磋商公告",
        body=(
            "采购人：北京智源人工智能研究院\n采购内容：采购华为云昇腾910B算力服务，按卡时计费，"
            "单价不超过12元/卡/小时。\n要求国产化，拒绝进口产品。预算金额：95万元。"
        ),
        buyer="北京智源人工智能研究院",
        project_code="BAAI-2024-07",
        region="北京市",
        published_at="2024-03-02",
        amounts=[Amount("budget", 950_000.0, "95万元")],
        remote_compute=True,
        compute_kinds=["cloud"],
        providers=["huawei-cloud"],
        chips=["huawei-ascend-910b"],
        flags=["domestic_only"],
    ),
    Spec(
        key="aws",
        title="上海交通大学云计算服务采购中标公告",
        body=(
            "项目编号：SJTU-2023-118\n采购人：上海交通大学\n中标供应商：上海云启信息技术有限公司\n"
            "中标内容：亚马逊云科技（AWS）海外账号及p4d.24xlarge实例使用服务，境外节点部署。中标金额：236.5万元。"
        ),
        notice_type="award",
        buyer="上海交通大学",
        vendors=["上海云启信息技术有限公司"],
        project_code="SJTU-2023-118",
        region="上海市",
        published_at="2023-11-20",
        amounts=[Amount("award", 2_365_000.0, "236.5万元")],
        remote_compute=True,
        compute_kinds=["cloud", "gpu_rental"],
        providers=["aws"],
        chips=["nvidia-a100"],
        flags=["us_provider", "offshore", "intermediary", "controlled_chip"],
    ),
    Spec(
        key="a10rental",
        title="推理服务器租赁服务采购公告",
        body="采购人：浙江大学\n租赁配备NVIDIA A10显卡的推理服务器8台，租期12个月，含运维服务。预算：48万元。",
        buyer="浙江大学",
        region="浙江省杭州市",
        published_at="2024-08-15",
        amounts=[Amount("budget", 480_000.0, "48万元")],
        remote_compute=True,
        compute_kinds=["gpu_rental"],
        chips=["nvidia-a10"],
    ),
    Spec(
        key="hardware",
        title="高性能计算GPU服务器设备采购项目",
        body="采购人：中国科学技术大学\n采购GPU服务器（8卡A100）2台，含三年原厂质保。属于硬件设备采购。预算金额：360万元。",
        buyer="中国科学技术大学",
        region="安徽省合肥市",
        published_at="2023-06-30",
        amounts=[Amount("budget", 3_600_000.0, "360万元")],
        hardware_purchase=True,
        chips=["nvidia-a100"],
    ),
    Spec(
        key="yunnan",
        title="云南省某县政务服务中心办公家具采购公告",
        body="采购人：云南省某县政务服务中心\n采购办公桌椅一批。如有疑问请拨打政采云服务热线400-881-7190。",
        buyer="云南省某县政务服务中心",
        region="云南省",
        published_at="2024-01-09",
    ),
    Spec(
        key="alibaba",
        title="钉钉视频会议系统采购项目",
        body="采购人：杭州市某局\n采购阿里巴巴钉钉专业版视频会议系统一套，部署在A100会议室。",
        buyer="杭州市某局",
        region="浙江省杭州市",
        published_at="2024-02-20",
    ),
    Spec(
        key="attachment",
        title="智能计算中心运营服务项目招标公告",
        body="采购人：南京市数据局\n详见附件采购需求。",
        buyer="南京市数据局",
        region="江苏省南京市",
        published_at="2024-09-01",
        attachments=[("采购需求.pdf", "第三章 采购需求\n提供智算中心算力租赁服务，总算力不低于200PFLOPS。")],
        remote_compute=True,
        compute_kinds=["gpu_rental"],
    ),
    Spec(
        key="xss",
        title="<script>alert(1)</script>算力平台公告",
        body='算力平台运维服务。<img src=x onerror="alert(2)"> 联系人：张工',
        buyer="某市大数据中心",
        region="广东省深圳市",
        published_at="2024-04-04",
    ),
]

BY_KEY = {s.key: s for s in CORPUS}
