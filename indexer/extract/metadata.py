"""Report metadata from its title (and body when the title lacks it).

    unit_name  the reporting unit as written in the title ("交通运输局", "某局党组",
               "xx区委宣传部"), without the person whose report it is (党组书记, 主要负责人)
    unit_type  one of UNIT_TYPES, from the unit name's suffix (most specific suffix wins)
    year       the year the title names; "20xx" and absent years give None, except that
               a survey or inspection (调研/排查报告) without one is dated by the first
               year its body names
               (unit_type falls back to how the body names its writer, 我局/我镇 …, when
               the title names no unit)
    genre      one of GENRES, from the title's wording

All matching runs on the normalize()d text (Simplified, folded punctuation), so both
scripts are handled alike; unit_name is cut from the original title, in its own script.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..normalize import normalize, normalize_with_offsets
from .lines import is_bare_date

UNIT_TYPES = ("乡镇街道", "村社区", "党委部门", "政府部门", "人大政协", "政法机关", "事业单位",
              "国有企业", "群团组织")
GENRES = ("工作总结", "情况报告", "专题报告", "排查报告", "述职报告", "调研报告")

# Where the unit name ends: the person, the period, the subject or the genre begins.
_UNIT_END = re.compile(
    r"关于|对于|\d{4}|20[xX]{2}|[xX]{2,4}年|(?:上|下)半年|全年|年度|第[一二三四]季度"
    r"|主要负责人|主要领导|负责人|(?:党组|党委|党工委|党支部|党总支|党总支部|支部)?(?:副)?书记"
    r"|(?:局|委)?领导班子|班子成员|同志"
    # An office holder ("…局局长2023年…"): only before what follows a person, since
    # place names contain the same characters (长沙, 县长安镇).
    r"|(?:副)?(?:局长|主任|县长|区长|市长|镇长|乡长|院长|校长|部长|主席|总经理|经理|董事长|所长|站长"
    r"|社长|馆长|行长|厂长|处长|科长|检察长|庭长|主任委员)(?=\d|20|履行|抓|述职|关于|在|意识形态|工作|年|上半年|下半年|$)|"
    r"履行|落实|抓|开展|贯彻|推进|加强|意识形态|网络|党建|党风|全面从严|宣传思想|理论学习"
    r"|工作总结|工作报告|述职|调研|排查|专题|情况|风险"
)
# What may stand before the unit: "关于", or the period ("2023年度XX局…").
_LEADING = re.compile(
    r"^(?:\s|关于|对于|对|在|(?:19|20)(?:\d{2}|[xX]{2})\s*年(?:度)?|(?:上|下)半年|全年|第[一二三四]季度|[,:])+"
)

# (suffix, type): the longest matching suffix of the unit name decides. Party organs that
# a unit runs internally (党组, 党委 …) are stripped first, so 镇党委 counts as a 镇 and
# 局党组 as a 局, while 县委 / 区委 themselves are party committees.
_SUFFIX_RULES: tuple[tuple[str, str], ...] = (
    ("乡", "乡镇街道"), ("镇", "乡镇街道"), ("街道", "乡镇街道"), ("街道办", "乡镇街道"),
    ("街道办事处", "乡镇街道"), ("苏木", "乡镇街道"), ("乡镇", "乡镇街道"),
    ("村", "村社区"), ("社区", "村社区"), ("居委会", "村社区"), ("村委会", "村社区"),
    ("嘎查", "村社区"), ("村民委员会", "村社区"), ("居民委员会", "村社区"),
    ("县委", "党委部门"), ("市委", "党委部门"), ("区委", "党委部门"), ("州委", "党委部门"),
    ("省委", "党委部门"), ("旗委", "党委部门"), ("党委", "党委部门"), ("工委", "党委部门"),
    ("宣传部", "党委部门"), ("组织部", "党委部门"), ("统战部", "党委部门"), ("政法委", "党委部门"),
    ("纪委", "党委部门"), ("纪委监委", "党委部门"), ("监委", "党委部门"), ("编办", "党委部门"),
    ("党校", "党委部门"), ("网信办", "党委部门"), ("巡察办", "党委部门"), ("党史研究室", "党委部门"),
    ("局", "政府部门"), ("委员会", "政府部门"), ("委", "政府部门"), ("办公室", "政府部门"),
    ("办", "政府部门"), ("厅", "政府部门"), ("署", "政府部门"), ("人民政府", "政府部门"),
    ("政府", "政府部门"), ("管委会", "政府部门"),
    ("人大", "人大政协"), ("人大常委会", "人大政协"), ("常委会", "人大政协"), ("政协", "人大政协"),
    ("法院", "政法机关"), ("检察院", "政法机关"), ("公安局", "政法机关"), ("公安分局", "政法机关"),
    ("派出所", "政法机关"), ("司法局", "政法机关"), ("监狱", "政法机关"),
    ("学校", "事业单位"), ("中学", "事业单位"), ("小学", "事业单位"), ("大学", "事业单位"),
    ("学院", "事业单位"), ("幼儿园", "事业单位"), ("医院", "事业单位"), ("卫生院", "事业单位"),
    ("中心", "事业单位"), ("研究院", "事业单位"), ("研究所", "事业单位"), ("图书馆", "事业单位"),
    ("博物馆", "事业单位"), ("文化馆", "事业单位"), ("电视台", "事业单位"), ("报社", "事业单位"),
    ("站", "事业单位"), ("所", "事业单位"), ("院", "事业单位"),
    ("公司", "国有企业"), ("集团", "国有企业"), ("有限公司", "国有企业"), ("企业", "国有企业"),
    ("银行", "国有企业"), ("厂", "国有企业"),
    ("妇联", "群团组织"), ("妇女联合会", "群团组织"), ("团委", "群团组织"), ("团县委", "群团组织"),
    ("团市委", "群团组织"), ("团区委", "群团组织"), ("团省委", "群团组织"), ("工会", "群团组织"), ("总工会", "群团组织"),
    ("文联", "群团组织"), ("科协", "群团组织"), ("残联", "群团组织"), ("侨联", "群团组织"),
    ("工商联", "群团组织"), ("红十字会", "群团组织"), ("作协", "群团组织"),
)
# Organs inside a unit, stripped before the suffix test (longest first).
_INNER_ORGANS = ("人民政府", "党总支部", "党总支", "党支部", "党工委", "党委", "党组", "机关", "支部")
# Names that decide the type wherever they stand: 共青团xx区委 is the Youth League.
_ANYWHERE_RULES: tuple[tuple[str, str], ...] = (
    ("共青团", "群团组织"), ("人大", "人大政协"), ("人民代表大会", "人大政协"), ("政协", "人大政协"),
)
# 中共xx县委员会 / xx县纪律检查委员会 are party committees, not government commissions.
_PARTY_COMMITTEE = re.compile(r"^中共|纪律检查委员会$|监察委员会$")

_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)\s*年?")
_PLACEHOLDER_YEAR = re.compile(r"(?:20|19)(?:[xX]{2}|\*{2}|[○〇oO]{2})|[xX]{4}|\*{4}")
_BODY_YEAR = re.compile(r"(?<![0-9０-９])((?:19|20|１９|２０)[0-9０-９]{2})\s*年")
# Genres whose titles often leave the year out while the text dates them: a survey or an
# inspection is a snapshot, dated where it reports its findings. Summaries, 述职 and
# 专题 reports without a year in the title are not about one year (measured on the dev
# corpus: taking a body year for them too is wrong more often than right).
_DATED_IN_BODY = ("调研报告", "排查报告")
# What follows a year that frames the report's own period: 2021年以来, 2021年度.
_FRAMING_YEAR = ("以来", "以來", "度")
_FIRST_HALF = ("上半年", "一季度", "第一季")

# Genre cues in title order of precedence (a 述职报告 on 落实情况 is a 述职报告).
_GENRE_CUES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"述职"), "述职报告"),
    (re.compile(r"调研|调查报告|考察报告"), "调研报告"),
    (re.compile(r"排查|自查报告|检查报告"), "排查报告"),
    (re.compile(r"专题报告|专题汇报"), "专题报告"),
    (re.compile(r"情况(?:的)?(?:报告|汇报)|落实情况|情况通报"), "情况报告"),
    (re.compile(r"总结"), "工作总结"),
)


@dataclass(frozen=True)
class Metadata:
    unit_name: str | None
    unit_type: str | None
    year: int | None
    genre: str | None


def unit_name(title: str | None) -> str | None:
    """The unit at the start of the title, as written (spaces removed).

    Only a name that the title delimits (关于, a year, the genre … follows it) and that
    ends like a unit (局, 镇, 公司 …: it has a unit type) is one: a news headline names no
    issuing unit."""
    if not title:
        return None
    raw = title.strip()
    norm, offsets = normalize_with_offsets(raw)
    start = 0
    lead = _LEADING.match(norm)
    if lead:
        start = lead.end()
    m = _UNIT_END.search(norm, start)
    if m is None or m.start() <= start:
        return None
    name = raw[offsets[start]:offsets[m.start()]]
    name = re.sub(r"\s+", "", name).strip("，,、:：-—_")
    if len(name) < 2 and name not in ("乡", "镇", "村"):
        return None
    if _NOT_IN_NAME.search(normalize(name)) or unit_type(name) is None:
        return None
    return name


# punctuation a unit's name never holds: the "name" is part of a sentence
_NOT_IN_NAME = re.compile(r"[,.;:!?\"'“”‘’]")


def signature_unit(body: str) -> str | None:
    """The unit that signs the report: the line above the date at its end."""
    lines = [ln.strip() for ln in body.strip().split("\n")[-3:]]
    for i in range(len(lines) - 1, 0, -1):
        if is_bare_date(lines[i]):
            name = re.sub(r"\s+", "", lines[i - 1])
            if 2 <= len(name) <= 30 and not _NOT_IN_NAME.search(normalize(name)) and unit_type(name):
                return name
    return None


def unit_type(name: str | None) -> str | None:
    if not name:
        return None
    norm = normalize(name).replace(" ", "")
    for key, kind in _ANYWHERE_RULES:
        if key in norm:
            return kind
    if _PARTY_COMMITTEE.search(norm) and norm.endswith("委员会"):
        return "党委部门"
    stripped = norm
    changed = True
    while changed:
        changed = False
        for organ in _INNER_ORGANS:
            if stripped.endswith(organ) and len(stripped) > len(organ):
                stripped = stripped[: -len(organ)]
                changed = True
                break
    for candidate in (stripped, norm):
        best = max(((s, k) for s, k in _SUFFIX_RULES if candidate.endswith(s)),
                   key=lambda sk: len(sk[0]), default=None)
        if best:
            return best[1]
    return None


def title_year(title: str | None) -> int | None:
    if not title:
        return None
    norm = normalize(title)
    m = _YEAR.search(norm)
    return int(m.group(1)) if m else None


def _reported_by(year: int, after: str) -> str:
    """The first date (YYYY-MM-DD) on which a page can report on the period a body year
    opens: after June for a first half (2021年上半年), any day of the year itself otherwise."""
    return f"{year:04d}-07-01" if after.startswith(_FIRST_HALF) else f"{year:04d}-01-01"


def body_year(body: str, published: str | None = None) -> int | None:
    """The year the body gives as its own period: the first year that frames one
    ("2021年以来…", "《2021年度…清单》"), else the first year it names at all. A year in a
    narrative aside ("2020年上半年，在县委…") yields to a framing year later in the text.
    A page cannot report on a period that starts after it was published: with a publish
    date (YYYY-…), a later year in the body is a plan, a forecast or a template's leftover,
    never the report's own period, and is not a candidate."""
    # digits and 年 need no t2s: search the raw body (以来 and 以來 both framing)
    found = [(int(unicodedata.normalize("NFKC", m.group(1))), body[m.end():m.end() + 3])
             for m in _BODY_YEAR.finditer(body)]
    if published and re.match(r"\d{4}-\d\d-\d\d", published):
        found = [(year, after) for year, after in found if _reported_by(year, after) <= published]
    if not found:
        return None
    framing = [year for year, after in found if after.startswith(_FRAMING_YEAR)]
    return framing[0] if framing else found[0][0]


def genre(title: str | None) -> str | None:
    if not title:
        return None
    norm = normalize(title).replace(" ", "")
    for pattern, name in _GENRE_CUES:
        if pattern.search(norm):
            return name
    return None


# How a report names its own unit ("我局认真落实…"): only unambiguous words (我院 may be a
# court, a hospital or a procuratorate; 我会 a union or a people's congress).
_SELF_REFERENCE = re.compile(r"我(街道|社区|公司|集团|中心|学校|局|镇|乡|村|校|部|委)")
_SELF_TYPES = {"街道": "乡镇街道", "镇": "乡镇街道", "乡": "乡镇街道", "社区": "村社区", "村": "村社区",
               "公司": "国有企业", "集团": "国有企业", "中心": "事业单位", "学校": "事业单位", "校": "事业单位",
               "局": "政府部门", "委": "政府部门", "部": "党委部门"}


def body_unit_type(body: str) -> str | None:
    """The type of unit the body speaks for, from its commonest self-reference."""
    found = _SELF_REFERENCE.findall(normalize(body[:3000]))
    if not found:
        return None
    word = max(set(found), key=found.count)
    return _SELF_TYPES[word]


def extract_metadata(title: str | None, body: str = "", published: str | None = None) -> Metadata:
    """`published` is the page's publish date (YYYY-MM-DD) when it gives one."""
    name = unit_name(title) or signature_unit(body)
    year = title_year(title)
    kind = genre(title)
    if year is None and kind in _DATED_IN_BODY and not (title and _PLACEHOLDER_YEAR.search(title)):
        year = body_year(body, published)
    utype = unit_type(name) if name else body_unit_type(body)
    return Metadata(name, utype, year, kind)
