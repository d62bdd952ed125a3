"""Notices for the review tests, stored through the real pipeline (`process_notice`: documents → the
current extractor → Store), so `eval` and `reextract` run the real extractor on the stored raw bytes.

Each is unambiguous for the extractor, and the tests check the stored findings before relying on them:
a cloud case (Alibaba Cloud ECS), a GPU-server purchase (hardware, not a case), property management (no
compute at all) and a model-API case billed by token.
"""

from __future__ import annotations

PAGE = """<html><head><meta charset="utf-8"><title>{title}</title></head><body><h1>{title}</h1>
<p>项目编号：{code}</p><p>采购人：{buyer}</p><p>{body}</p><p>{amount}</p><p>发布日期：{day}</p></body></html>"""

NOTICES = {
    "cloud": dict(title="东岭大学科研云计算资源租用服务采购项目公开招标公告", code="DL-2025-031", buyer="东岭大学",
                  body="采购需求：租用阿里云弹性计算服务ECS云服务器及对象存储OSS，服务期一年，按月结算。",
                  amount="预算金额：80万元", day="2025-03-03"),
    "hardware": dict(title="西江研究院GPU服务器采购项目中标公告", code="XJ-2025-007", buyer="西江研究院",
                     body="采购内容：采购GPU服务器4台，每台配置8块NVIDIA A100 80GB GPU卡，含三年质保。",
                     amount="中标金额：560万元", day="2025-02-10"),
    "plain": dict(title="南湖街道办公楼物业管理服务项目公开招标公告", code="NH-2025-002", buyer="南湖街道办事处",
                  body="采购内容：办公楼保洁、安保、绿化养护服务，服务期两年。", amount="预算金额：120万元",
                  day="2025-01-15"),
    "model_api": dict(title="北山医院大模型接口调用服务采购成交公告", code="BS-2025-019", buyer="北山医院",
                      body="采购内容：采购DeepSeek大模型API调用服务，按token计费，预计调用量2亿tokens。",
                      amount="成交金额：30万元", day="2025-04-01"),
}


def fill(store) -> dict[str, int]:
    """Store every notice through process_notice; returns key → notice id."""
    from storage.processing import RawNotice, process_notice

    ids = {}
    for key, spec in NOTICES.items():
        raw = RawNotice(source="local", url=f"https://www.example.gov.cn/notices/{key}.htm",
                        data=PAGE.format(**spec).encode("utf-8"), content_type="text/html; charset=utf-8",
                        name=f"{key}.htm", list_meta={"title": spec["title"], "published_at": spec["day"]})
        ids[key] = process_notice(store, raw).notice_id
    return ids
