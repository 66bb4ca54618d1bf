"""Metadata from titles in both scripts: unit name and type, year, genre."""
from __future__ import annotations

from indexer.extract.metadata import extract_metadata, genre, title_year, unit_name, unit_type


def test_unit_names_as_written():
    cases = {
        "云福县交通运输局关于2019年意识形态工作落实情况的报告": "云福县交通运输局",
        "某局党组关于2024年上半年意识形态工作的专题报告": "某局党组",
        "xx 区委宣传部关于全区意识形态风险隐患情况排查报告范文": "xx区委宣传部",
        "鹤隆村2021年意识形态工作调研报告": "鹤隆村",
        "红圩水务投资有限公司党委书记2023年抓意识形态工作述职报告": "红圩水务投资有限公司",
        "峪泽市委政法委主要负责人2022年抓意识形态工作述职报告": "峪泽市委政法委",
        "寧河鎮黨委書記2018年抓意識形態工作述職報告": "寧河鎮",
        "青湾乡党委2022年上半年意识形态工作总结": "青湾乡党委",
        "关于鹤通镇意识形态阵地建设情况的调研报告": "鹤通镇",
        "關於杏鋪區人大常委會意識形態陣地建設情況的調研報告": "杏鋪區人大常委會",
        "政協機關2020年意識形態工作總結": "政協機關",
        "交通運輸局2023年落實意識形態工作情況報告": "交通運輸局",
    }
    for title, name in cases.items():
        assert unit_name(title) == name, title
    assert unit_name("2023年意识形态工作总结") is None
    assert unit_name(None) is None


def test_unit_types_by_suffix_specificity():
    cases = {
        "玉营乡人民政府": "乡镇街道", "寧河鎮": "乡镇街道", "新岩区红河街道": "乡镇街道",
        "青湾乡党委": "乡镇街道", "银屯街道党工委": "乡镇街道",
        "鹤隆村": "村社区", "通阳村村委会": "村社区", "靖华社区居委会": "村社区", "楊坪村黨支部": "村社区",
        "xx区委宣传部": "党委部门", "沙云区委组织部": "党委部门", "杏安县纪委": "党委部门",
        "鹿坝县委": "党委部门", "峪泽市委政法委": "党委部门", "光远县委统战部": "党委部门",
        "交通运输局": "政府部门", "某局党组": "政府部门", "平玉县卫生健康委员会": "政府部门",
        "嶺蘭縣應急管理局黨組": "政府部门",
        "康滩县政协": "人大政协", "政協機關": "人大政协", "远龙市人大常委会": "人大政协",
        "竹寨县人大常委会机关": "人大政协",
        "埠兰区公安局": "政法机关", "庆永县人民检察院": "政法机关", "兰坪县人民法院": "政法机关",
        "碧龙县第一中学": "事业单位", "蓮龍市實驗小學": "事业单位", "沙杏县融媒体中心": "事业单位",
        "松華縣中醫醫院": "事业单位",
        "红圩水务投资有限公司": "国有企业", "兰杏交通建设集团": "国有企业",
        "隆圩区妇联": "群团组织", "长铺区总工会": "群团组织", "共青團源澤區委": "群团组织",
        "柳定市文聯": "群团组织", "泰石区团委": "群团组织",
    }
    for name, kind in cases.items():
        assert unit_type(name) == kind, name
    assert unit_type("意识形态") is None
    assert unit_type(None) is None


def test_years():
    assert title_year("云福县交通运输局关于2019年意识形态工作落实情况的报告") == 2019
    assert title_year("鳳杏縣壩灘鎮２０２０年意識形態工作總結") == 2020  # full-width digits
    assert title_year("通阳村村委会20xx年意识形态工作情况报告") is None
    assert title_year("新宁县妇联主要负责人履行意识形态工作责任制述职报告") is None
    # A survey without a year in its title is dated by its body; a placeholder stays null.
    assert extract_metadata("关于鹤通镇意识形态阵地建设情况的调研报告", "2021年以来，我镇……").year == 2021
    assert extract_metadata("鹤通镇20xx年意识形态风险点排查报告", "2021年以来，我镇……").year is None
    assert extract_metadata("新宁县妇联主要负责人述职报告", "2021年以来，……").year is None
    # A year that frames the report's period wins over an earlier aside, in either script.
    survey = "关于鹤通镇意识形态阵地建设情况的调研报告"
    assert extract_metadata(survey, "2020年上半年，在县委……列入《2021年度全面从严治党主体责任清单》").year == 2021
    assert extract_metadata(survey, "2020年上半年，在縣委……２０２２年以來，我鎮").year == 2022
    assert extract_metadata(survey, "2020年上半年，在县委……").year == 2020
    # A page published in 2019 cannot report on 2024: a later body year is a plan or a
    # template's leftover; an earlier one still dates it; a title year always stands.
    aside = "2024年是建国70周年……2024年以来，我镇……“2019年感动庆阳年度人物”"
    assert extract_metadata(survey, aside).year == 2024
    assert extract_metadata(survey, aside, "2019-02-04").year == 2019
    assert extract_metadata(survey, "2024年下半年，我镇将……", "2019-12-09").year is None
    assert extract_metadata(survey, "2024年下半年，我镇将……", "2024-12-09").year == 2024
    assert extract_metadata("鹤通镇2024年意识形态风险点排查报告", "", "2019-12-09").year == 2024


def test_genres_both_scripts():
    cases = {
        "隆圩区妇联关于2024年度意识形态工作的总结": "工作总结",
        "青湾乡党委2022年上半年意识形态工作总结": "工作总结",
        "云福县交通运输局关于2019年意识形态工作落实情况的报告": "情况报告",
        "杏安县纪委2023年落实意识形态工作责任制情况报告": "情况报告",
        "月埠镇党委关于2022年网络意识形态工作的专题报告": "专题报告",
        "嶺蘭縣應急管理局黨組關於2019年意識形態工作的專題報告": "专题报告",
        "紫龍縣總工會關於意識形態領域風險隱患排查報告": "排查报告",
        "寧河鎮黨委書記2018年抓意識形態工作述職報告": "述职报告",
        "關於杏鋪區人大常委會意識形態陣地建設情況的調研報告": "调研报告",
        "政協機關2020年意識形態工作總結": "工作总结",
    }
    for title, name in cases.items():
        assert genre(title) == name, title
    assert genre("意识形态工作心得") is None
    assert genre(None) is None


def test_extract_metadata_combines_fields():
    meta = extract_metadata("長鋪區總工會主要負責人2020年履行意識形態工作責任制述職報告")
    assert (meta.unit_name, meta.unit_type, meta.year, meta.genre) == ("長鋪區總工會", "群团组织", 2020, "述职报告")
    empty = extract_metadata(None, "")
    assert (empty.unit_name, empty.unit_type, empty.year, empty.genre) == (None, None, None, None)


def test_unit_type_from_the_body_when_the_title_names_no_unit():
    meta = extract_metadata("关于2023年度意识形态工作的总结", "今年以来，我镇认真落实责任制。我镇党委高度重视。")
    assert (meta.unit_name, meta.unit_type, meta.year) == (None, "乡镇街道", 2023)
    assert extract_metadata("意識形態工作總結", "一年來，我局認真落實。").unit_type == "政府部门"
    assert extract_metadata("意识形态工作总结", "今年以来，全县认真落实。").unit_type is None


def test_headlines_name_no_issuing_unit():
    for headline in ("苹果称美国反垄断诉讼应被驳回", "多数夫妻生活有名无实 日本无性婚姻问题严重(图)",
                     "李强在新疆调研时强调 彰显特色优势", "悲壮！布伦森遭遇左手骨折 第三节受伤提前离场",
                     "法国总统访问中国科学院", "网易娱乐"):
        assert unit_name(headline) is None, headline
        assert extract_metadata(headline, "正文第一段。").unit_name is None, headline


def test_signature_names_the_unit_when_the_title_does_not():
    body = "今年以来，我局认真落实意识形态工作责任制。\n特此报告。\n某某县交通运输局\n2023年12月1日"
    meta = extract_metadata("关于2023年意识形态工作的报告", body)
    assert (meta.unit_name, meta.unit_type) == ("某某县交通运输局", "政府部门")
    assert extract_metadata("关于2023年意识形态工作的报告", "正文。\n我们的体会\n2023年12月1日").unit_name is None
