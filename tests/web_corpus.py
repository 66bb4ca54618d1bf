"""A small built-in corpus for the front end's tests: a page of five reports sharing one
title, two versions of a report (Simplified original, Traditional copy with known edits),
and dated reports for the timeline and the publish-date filter."""
from __future__ import annotations

import pytest
from opencc import OpenCC

from test_search_support import build_index, make_report

PARAS = [
    "今年以来，青山镇党委坚持以习近平新时代中国特色社会主义思想为指导，认真落实意识形态工作责任制，把意识形态工作纳入党建工作总体布局。",
    "全年组织网格员巡查一百二十次，排查化解各类矛盾纠纷三十六件，做到小事不出村、大事不出镇，群众满意度持续提升。",
    "镇党委理论学习中心组开展集中学习十二次，围绕党的二十大精神开展专题研讨四次，班子成员带头讲党课八场次。",
    "加强宣传阵地建设，更新村级宣传栏四十二块，建成新时代文明实践站十个，举办道德讲堂十六场，评选身边好人二十名。",
    "建立网络舆情研判机制，每季度召开分析会议，及时处置苗头性问题，全年未发生重大网络舆情事件，网上正能量更加充沛。",
    "严格落实主体责任，把意识形态工作纳入年度考核，考核结果与评先评优挂钩，对履职不力的单位进行约谈提醒。",
    "存在的问题：个别村对意识形态工作重视不够，宣传阵地管理还有薄弱环节，网络评论员队伍作用发挥不够充分。",
    "下一步，镇党委将继续压实责任，加强队伍建设，创新方式方法，推动意识形态工作再上新台阶，为全镇发展提供思想保证。",
    "全镇各村结合实际开展形式多样的宣传教育活动，组织文艺演出二十余场，放映公益电影一百余场次，受众两万余人次，营造了良好的舆论氛围。",
    "加强对意识形态领域重大问题的分析研判，定期向县委宣传部报送工作情况，确保各项部署要求落地见效，守牢意识形态安全底线。",
    "深化新时代文明实践，组建志愿服务队伍十五支，开展关爱留守儿童、孤寡老人等志愿服务活动八十余次，群众获得感进一步增强。",
    "坚持把学习贯彻党的创新理论作为首要政治任务，依托新时代文明实践所站开展理论宣讲一百二十场次，推动党的创新理论进村入户、深入人心。",
    "抓好党员干部教育培训，举办专题培训班六期，培训党员干部一千二百余人次，组织党员到红色教育基地开展现场教学三次，党性修养进一步提升。",
    "落实网络意识形态工作责任制，建立镇村两级网络评论员队伍，加强对微信群、公众号的管理，清理有害信息四十余条，网络空间更加清朗。",
    "推进基层宣传文化阵地共建共享，整合农家书屋、文化广场等资源，开展群众性文化活动五十余场，丰富了群众精神文化生活。",
    "加强统一战线和民族宗教工作，开展宗教活动场所安全检查十二次，排查整改隐患五处，确保全镇宗教领域和谐稳定。",
    "附：本报告所列数据截至当年十一月底。",
]
# Version B: a Traditional copy with three known edits.
CHANGED_FROM, CHANGED_TO = "一百二十次", "九十次"  # paragraph 2: a number changed
REMOVED = PARAS[-1]  # the last paragraph dropped
ADDED = "另據統計，全年共接待群眾來訪二百餘人次。"  # a paragraph added (Traditional)

VERSION_A = "ver-a"
VERSION_B = "ver-b"
PART_TITLE = "乡镇2022年意识形态工作总结范文五篇"


def versions() -> tuple[dict, dict]:
    body_a = PARAS
    s2t = OpenCC("s2t")
    body_b = [s2t.convert(p.replace(CHANGED_FROM, CHANGED_TO)) for p in PARAS[:-1]]
    body_b.insert(6, ADDED)
    a = make_report(VERSION_A, "青山镇2021年意识形态工作总结", [("前言", "\n".join(body_a))],
                    site="a.example", publish_date="2021-12-20", year=2021, source="pages/a.html",
                    unit_name="青山镇")
    b = make_report(VERSION_B, s2t.convert("青山镇2021年意识形态工作总结"), [("前言", "\n".join(body_b))],
                    site="b.example", script="hant", publish_date="2022-02-03", year=2021,
                    source="pages/b.html", unit_name="青山鎮")
    return a, b


def corpus() -> list[dict]:
    reports = list(versions())
    topics = ["文化广场建设", "夜校学习", "网格化管理", "志愿服务", "理论宣讲"]
    for n, topic in enumerate(topics, 1):
        reports.append(make_report(
            f"part-{n}", PART_TITLE, [("前言", f"第{n}篇：本村围绕{topic}开展工作，意识形态阵地不断巩固，{topic}成效明显。"),
                                      ("存在问题", f"{topic}方面仍有不足。")],
            part=n, source="pages/five.html", site="fanwen.example", year=2022,
            unit_name=f"第{n}村", unit_type="村社区"))
    for n, (year, date) in enumerate([(2018, "2018-05-01"), (2019, None), (None, "2020-07-15"),
                                      (None, "2023-03-09"), (2023, "2024-01-02")]):
        reports.append(make_report(
            f"dated-{n}", f"南湖街道意识形态工作情况报告{n}",
            [("前言", f"南湖街道第{n}期：开展意识形态专题培训，覆盖干部{(n + 1) * 10}人，形成调研报告一份。")],
            year=year, publish_date=date, site="gov.example", unit_type="乡镇街道",
            genre="情况报告", source=f"pages/dated-{n}.html"))
    return reports


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    """A real index of `corpus()` (import the fixture into a test module to use it)."""
    return build_index(tmp_path_factory.mktemp("webcorpus"), corpus())
