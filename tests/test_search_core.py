"""Search semantics on real Whoosh indexes in tmp dirs: phrases in both scripts, query
syntax, section matching, facets against brute force, highlights, duplicates, paging."""
from __future__ import annotations

import random
import re

import pytest

from indexer.normalize import search_key
from indexer.search import SearchRequest, get_report, more_like_this, open_index, search
from indexer.search.query import parse
from test_search_support import build_index, make_report

TRAD = make_report("t1", "某鎮2021年意識形態工作總結", [
    ("前言", "今年以來，我鎮認真落實意識形態工作責任制。"),
    ("工作做法", "組織幹部到清華大學參加培訓，開展兩學一做學習教育。"),
    ("存在问题", "網絡輿情處置能力不足。"),
], script="hant", unit_name="某鎮", year=2021)
SIMP = make_report("s1", "某局2019年宣传思想工作情况报告", [
    ("前言", "2019年，我局加强宣传阵地管理，待处理事项及时办结。"),
    ("工作做法", "落实三会一课制度，党员干部到清华大学培训。"),
    ("存在问题", "理论学习不够深入，主体责任落实有差距。"),
    ("下步打算", "持续加强网络舆情研判。"),
], unit_type="政府部门", genre="情况报告", year=2019, unit_name="某局", site="b.example",
    publish_date="2019-12-30")
BROKEN = make_report("b1", "某村工作总结", [
    ("前言", "村两委加强意识\n形态工作，<b>宣传栏</b>更新及时。"),
    ("结语", "ＡＢＣ公司参与共建。"),
], unit_type="村社区", year=2020, genre="工作总结", site="c.example")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = build_index(tmp_path_factory.mktemp("core"), [TRAD, SIMP, BROKEN])
    with open_index(root) as ix:
        yield ix


def ids(response) -> list[str]:
    return [h.report_id for h in response.results]


def run(index, q="", **kw):
    kw.setdefault("collapse", False)
    return search(index, SearchRequest(q=q, **kw))


# ---------------------------------------------------------------- phrase semantics


@pytest.mark.parametrize("q", ["意识形态", "意識形態", "意識形态"])
def test_phrase_matches_whatever_the_script(index, q):
    assert set(ids(run(index, q))) == {"t1", "b1"}  # b1: broken over a line


def test_substring_semantics(index):
    assert set(ids(run(index, "清华"))) == {"t1", "s1"}  # 清华 finds 清华大学
    assert ids(run(index, "处理")) == ["s1"]  # 处理 finds 待处理
    assert set(ids(run(index, "华大学"))) == {"t1", "s1"}  # across jieba word boundaries
    assert ids(run(index, '"大学清华"')) == []  # contiguous, in order
    # an unquoted run that finds nothing is relaxed to its words, and says so
    relaxed = run(index, "大学清华")
    assert relaxed.relaxed and set(ids(relaxed)) == {"t1", "s1"}
    assert not run(index, "清华").relaxed
    assert ids(run(index, "宣传阵地管理")) == ["s1"]


def test_single_character_and_latin(index):
    assert ids(run(index, "栏")) == ["b1"]
    assert ids(run(index, "abc公司")) == ["b1"]  # width- and case-folded


def test_spaces_mean_and(index):
    assert ids(run(index, "清华 三会一课")) == ["s1"]
    assert ids(run(index, "清华 宣传栏")) == []


def test_query_syntax(index):
    assert set(ids(run(index, "三会一课 OR 宣传栏"))) == {"s1", "b1"}
    assert ids(run(index, "清华 -三会一课")) == ["t1"]
    assert ids(run(index, "清华 NOT 三会一课")) == ["t1"]
    assert ids(run(index, "title:宣传思想")) == ["s1"]
    assert ids(run(index, "title:清华")) == []  # only in bodies
    assert ids(run(index, "unit:某局")) == ["s1"]
    assert set(ids(run(index, "year:2019..2020"))) == {"s1", "b1"}
    assert ids(run(index, "清华 year:2021")) == ["t1"]
    assert ids(run(index, '"两学 一做"')) == ["t1"]


@pytest.mark.parametrize("q", ['"unclosed 清华', "title:", "year:abc", "((", "OR OR", "-", "NOT",
                               "year:2019..", ":::", '""', "清华 OR", "\x00", "a" * 600])
def test_malformed_queries_never_fail(index, q):
    response = run(index, q)
    assert response.total >= 0
    assert parse(q) is not None


def test_malformed_degrades_to_terms(index):
    assert ids(run(index, '"清华')) == ids(run(index, "清华"))
    assert ids(run(index, "year:xyz")) == []  # "xyz" as text: no report has it


# ---------------------------------------------------------------- filters and sections


def test_section_filter_restricts_matching_to_section_text(index):
    assert set(ids(run(index, "清华", section=["工作做法"]))) == {"t1", "s1"}
    assert ids(run(index, "清华", section=["存在问题"])) == []
    assert ids(run(index, "网络舆情", section=["下步打算"])) == ["s1"]
    assert ids(run(index, "网络舆情", section=["存在问题"])) == ["t1"]
    # the title is not section text
    assert ids(run(index, "宣传思想", section=["前言"])) == []


def test_empty_query_with_filters_lists_reports(index):
    assert set(ids(run(index, "", section=["下步打算"]))) == {"s1"}
    assert set(ids(run(index, "", unit_type=["乡镇街道", "村社区"]))) == {"t1", "b1"}
    assert run(index, "").total == 3


def test_hit_sections_are_where_the_query_matched(index):
    hit = run(index, "网络舆情").results
    kinds = {h.report_id: h.sections for h in hit}
    assert kinds["s1"] == ["下步打算"]
    assert kinds["t1"] == ["存在问题"]


# ---------------------------------------------------------------- highlights


def test_highlights_land_on_original_traditional_text(index):
    hit = run(index, "意识形态").results
    t1 = next(h for h in hit if h.report_id == "t1")
    assert "<mark>意識形態</mark>" in t1.snippet


def test_highlight_across_line_break_and_escaping(index):
    b1 = run(index, "意识形态 宣传栏").results[0]
    assert "<mark>意识\n形态</mark>" in b1.snippet
    assert "&lt;b&gt;<mark>宣传栏</mark>&lt;/b&gt;" in b1.snippet
    assert "<b>" not in b1.snippet
    assert "<mark>ＡＢＣ公司</mark>" in run(index, "abc公司").results[0].snippet


def test_overlapping_terms_merge_into_one_mark(index):
    snippet = run(index, "清华大学 华大").results[0].snippet
    assert "<mark>清华大学</mark>" in snippet or "<mark>清華大學</mark>" in snippet
    assert "</mark><mark>" not in snippet
    # the text outside marks is the original text, unchanged
    plain = re.sub(r"</?mark>", "", snippet).strip("…")
    bodies = {r["body"] for r in (TRAD, SIMP, BROKEN)}
    assert any(plain.replace("&lt;", "<").replace("&gt;", ">") in b for b in bodies)


# ---------------------------------------------------------------- ranking, paging, reports


def test_title_match_ranks_first(index):
    assert ids(run(index, "意识形态工作总结"))[0] == "t1"


def test_sort_by_date(index):
    assert ids(run(index, "", sort="date")) == ["t1", "b1", "s1"]  # 2021, 2020, 2019


def test_get_report_and_more_like_this(index):
    rep = get_report(index, "t1")
    assert rep["title"] == TRAD["title"] and rep["body"] == TRAD["body"]
    assert rep["sections"][1]["kind"] == "工作做法"
    assert rep["content_hash"] == TRAD["content_hash"]
    assert rep["provenance"]["source"] == TRAD["source"]
    assert rep["duplicates"] == [] and rep["duplicate_group"] == ["t1"]
    assert get_report(index, "nope") is None
    assert "t1" not in [h.report_id for h in more_like_this(index, "t1")]


# ---------------------------------------------------------------- facets vs brute force

PHRASES = ["意识形态", "两学一做", "网络舆情", "主体责任", "宣传栏"]
FILLER = "工作会议学习制度落实情况加强推进开展组织群众"
UNIT_TYPES = ["乡镇街道", "村社区", "政府部门"]
GENRES = ["工作总结", "情况报告"]
KINDS = ["前言", "总体情况", "工作做法", "存在问题", "下步打算"]


def _random_reports(n: int, seed: int = 7) -> list[dict]:
    rnd = random.Random(seed)
    reports = []
    for i in range(n):
        sections = []
        for kind in rnd.sample(KINDS, rnd.randint(1, 4)):
            words = [rnd.choice(FILLER) for _ in range(rnd.randint(10, 40))]
            for phrase in rnd.sample(PHRASES, rnd.randint(0, 2)):
                words.insert(rnd.randrange(len(words) + 1), phrase)
            sections.append((kind, "".join(words)))
        sections.sort(key=lambda s: KINDS.index(s[0]))
        reports.append(make_report(
            f"r{i:03d}", f"报告{i}", sections, unit_type=rnd.choice(UNIT_TYPES + [None]),
            genre=rnd.choice(GENRES), year=rnd.choice([2019, 2020, 2021, None]),
            site=rnd.choice(["x.example", "y.example"]), script=rnd.choice(["hans", "hant"])))
    return reports


def _brute(reports, q, filters, skip=None):
    out = []
    for rep in reports:
        if q:
            if filters.get("section") and skip != "section":
                texts = [s["text"] for s in rep["sections"] if s["kind"] in filters["section"]]
            else:
                texts = [rep["body"], rep["title"]]
            if not any(search_key(q) in search_key(t) for t in texts):
                continue
        ok = True
        for facet, values in filters.items():
            if facet == skip or not values:
                continue
            if facet == "section":
                have = {s["kind"] for s in rep["sections"]}
            else:
                have = {str(rep[facet])} if rep[facet] is not None else set()
            ok &= bool(have & set(values))
        if ok:
            out.append(rep)
    return out


def test_facet_counts_match_brute_force(tmp_path):
    reports = _random_reports(60)
    with open_index(build_index(tmp_path, reports)) as index:
        rnd = random.Random(3)
        for _ in range(25):
            q = rnd.choice(PHRASES + ["", ""])
            filters = {f: rnd.sample(vals, rnd.randint(0, 2)) for f, vals in
                       (("unit_type", UNIT_TYPES), ("genre", GENRES), ("year", ["2019", "2020", "2021"]),
                        ("section", KINDS))}
            response = search(index, SearchRequest(q=q, per_page=100, collapse=False, **filters))
            expected = _brute(reports, q, filters)
            assert response.total == len(expected), (q, filters)
            assert sorted(ids(response)) == sorted(r["report_id"] for r in expected)
            for facet in ("unit_type", "genre", "year"):
                counts = {}
                for rep in _brute(reports, q, filters, skip=facet):
                    if rep[facet] is not None:
                        counts[str(rep[facet])] = counts.get(str(rep[facet]), 0) + 1
                got = {fv.value: fv.count for fv in response.facets[facet]}
                assert got == counts, (q, filters, facet)
            # section: with a query, reports whose sections of that kind contain it;
            # without, reports having such a section (own selection ignored either way)
            counts = {}
            for rep in _brute(reports, "", filters, skip="section"):
                for kind in {s["kind"] for s in rep["sections"]}:
                    if not q or any(search_key(q) in search_key(s["text"])
                                    for s in rep["sections"] if s["kind"] == kind):
                        counts[kind] = counts.get(kind, 0) + 1
            assert {fv.value: fv.count for fv in response.facets["section"]} == counts, (q, filters)


def test_collection_filter_and_facet(tmp_path):
    reports = _random_reports(20)
    collections = {"c1": {"r001", "r002", "r003"}, "c2": {"r003", "r010", "missing"}}
    with open_index(build_index(tmp_path, reports)) as index:
        response = search(index, SearchRequest(collection=["c2"], collapse=False), collections)
        assert sorted(ids(response)) == ["r003", "r010"]
        facet = {fv.value: fv.count for fv in response.facets["collection"]}
        assert facet == {"c1": 3, "c2": 2}  # own selection does not shrink own counts


def test_pagination_covers_all_once(tmp_path):
    reports = _random_reports(45)
    with open_index(build_index(tmp_path, reports)) as index:
        seen = []
        for page in range(1, 5):
            seen += ids(search(index, SearchRequest(page=page, per_page=13, collapse=False)))
        assert sorted(seen) == sorted(r["report_id"] for r in reports)


# ---------------------------------------------------------------- near-duplicates


def test_near_duplicates_collapse(tmp_path):
    text = ("我镇坚持把意识形态工作摆在重要位置，纳入党委重要议事日程。组织开展主题党日活动，覆盖党员"
            "干部一千余人次。建立网络舆情研判机制，每季度召开分析会议，及时处置苗头性问题。加强宣传阵地"
            "管理，更新村级宣传栏四十二块，举办道德讲堂十六场，评选身边好人二十名。严格落实主体责任，"
            "把意识形态工作纳入年度考核，考核结果与评先评优挂钩。")
    a = make_report("d1", "某镇意识形态工作总结", [("前言", text + "今年共开展活动12次。")], year=2021)
    b = make_report("d2", "某鎮意識形態工作總結", [("前言", text + "今年共开展活动13次。")], year=2020,
                    source="pages/other.html")
    c = make_report("d3", "某局情况报告", [("前言", "完全不同的内容，关于意识形态阵地建设。")])
    with open_index(build_index(tmp_path, [a, b, c])) as index:
        flat = search(index, SearchRequest(q="意识形态", collapse=False))
        assert flat.total == 3
        folded = search(index, SearchRequest(q="意识形态", collapse=True))
        assert folded.total == 2
        lead = next(h for h in folded.results if h.report_id in ("d1", "d2"))
        assert lead.duplicates == [{"d1": "d2", "d2": "d1"}[lead.report_id]]
        assert get_report(index, "d1")["duplicates"] == ["d2"]
        # More like this leaves out the report's own near-duplicates (they are its versions).
        assert "d2" not in [h.report_id for h in more_like_this(index, "d1", 5)]


def test_highlight_alignment_when_normalization_changes_length():
    from indexer.search import analysis, snippets

    original = "㈠加強意識形態工作。㈡清華大學<培訓>"
    form, offsets = analysis.index_form_with_offsets(original)
    assert len(form) != len(original)  # ㈠ → (一): the offset map is not the identity
    source = snippets.TextSource(original, form, offsets)
    html, spans = snippets.render(source, snippets.find_spans(form, ["意识形态", "华大", "清华大学"]))
    assert "<mark>意識形態</mark>" in html
    assert "<mark>清華大學</mark>" in html  # overlapping terms: one mark
    assert "&lt;培訓&gt;" in html and "㈡" in html
    assert len(spans) == 3


def test_punctuation_only_terms_are_ignored():
    from indexer.search.query import parse

    assert parse('“、” OR 党建 -。').understood() == parse("党建").understood()
    assert parse("，。、").empty
    assert parse("1.加强学习").positive_terms()[0].key == "1.加强学习"  # punctuation inside a phrase stays


def test_phrase_with_no_occurrence_after_an_empty_one_was_cached(tmp_path, monkeypatch):
    """A phrase whose bigrams all occur but never in a row finds nothing, also when its
    rarest bigram is not its first, its last step reads only candidate documents and
    finds none there, and an empty answer of another phrase is already cached (the cache
    makes its arrays read-only: the walk must not write into a shared empty one; a
    probe of `scripts/bench_probes` failed so, 资本通告发布之)."""
    from indexer.search import execute

    monkeypatch.setattr(execute, "PARTIAL_READ_RATIO", 0)  # partial reads, as for long lists
    reports = [make_report("a", "甲", [("前言", "甲乙甲乙甲乙甲乙。")]),
               make_report("b", "乙", [("前言", "乙丙。")]),
               make_report("c", "丙", [("前言", "丙丁。")])]
    with open_index(build_index(tmp_path, reports)) as index:
        for q in ("乙丙丁", "甲乙丙丁", "甲乙丙丁"):  # the first caches an empty intersection
            resp = search(index, SearchRequest(q=q, expand=False))
            assert resp.relaxed or resp.total == 0, q
            assert all(h.report_id in "abc" for h in resp.results)
