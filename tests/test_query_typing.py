"""How people really type Chinese (issue 11): one context-free folding for documents and
queries (a property test), variants and compatibility punctuation, regional wording and
synonyms as visible expansion, the relaxation ladder, pasted text, did-you-mean — on real
indexes in tmp dirs, the Flask test client, and the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opencc import OpenCC

from indexer.normalize import normalization_version, normalize, normalize_with_offsets
from indexer.search import NoIndex, SearchRequest, build, open_index, search, store
from indexer.search.analysis import key
from indexer.search.query import parse, readings
from test_search_support import build_index, make_report

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
T2S, S2T = OpenCC("t2s"), OpenCC("s2t")


# ---------------------------------------------------------------- one folding, in context


def _real_texts() -> list[str]:
    texts = []
    for pattern in ("real/gold/*.txt", "seeds/*.txt"):
        for path in sorted(SHARED.glob(pattern)):
            text = path.read_text(encoding="utf-8", errors="replace")
            texts.append(text[:6000])
    return texts


REAL = _real_texts()
# Characters whose conversion depends on context, variants, compatibility punctuation,
# width forms and spaces: the synthetic documents mix them with ordinary text.
POOL = ("藉此藉助乾隆反覆乾坤覆盖著作著名於是徵收瞭解後來皇后發髮頭髮鬆鬆鍊項鍊煉鋼"
        "囘顾槪念模倣汚水敍事粧品回顾概念模仿污水叙事妆品为爲為裏裡里台臺颱檯干幹"
        "意識形態意识形态網路网络資訊信息通过透過工作總結报告两学一做"
        "，。、：；！？“”「」『』《》（）·‧・•︰：﹕︐︑︒︓︵︶﹁﹂─—－-"
        " \u3000\n\tＡＢＣabc１２３123㈠⑴")
SYNTHETIC = st.text(alphabet=POOL, min_size=1, max_size=80)


@st.composite
def doc_and_substring(draw):
    doc = draw(st.sampled_from(REAL) if REAL and draw(st.booleans()) else SYNTHETIC)
    start = draw(st.integers(0, len(doc) - 1))
    end = draw(st.integers(start + 1, min(len(doc), start + 12)))
    return doc, doc[start:end]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc_and_substring())
def test_key_of_a_query_is_a_substring_of_the_key_of_every_text_containing_it(pair):
    doc, q = pair
    assert key(q) in key(doc)
    # typed in the other script, converted on its own (OpenCC's phrase rules fire or not
    # without the document's context): still found
    assert key(T2S.convert(q)) in key(doc)


@settings(max_examples=200, deadline=None)
@given(SYNTHETIC)
def test_offsets_map_every_index_character_back(text):
    norm, offsets = normalize_with_offsets(text)
    assert len(offsets) == len(norm) + 1 and offsets[-1] == len(text)
    assert offsets == sorted(offsets)
    assert norm == normalize(text)


@pytest.mark.skipif(not REAL, reason="../shared is not present")
def test_opencc_conversions_of_real_text_keep_the_key():
    """Whole real pages converted by OpenCC (phrase rules in context) keep their key:
    t2s exactly; s2t but for pairs of two common characters kept apart on purpose."""
    mismatched = total = 0
    for text in REAL:
        assert key(T2S.convert(text)) == key(text)
        a, b = key(text), key(S2T.convert(text))
        assert len(a) == len(b)
        total += len(a)
        mismatched += sum(x != y for x, y in zip(a, b))
    assert mismatched <= total // 10_000


@pytest.mark.parametrize("variant, common", [
    ("囘顾", "回顾"), ("槪念", "概念"), ("模倣", "模仿"), ("汚水", "污水"), ("敍事", "叙事"), ("粧品", "妆品"),
    ("藉此", "借此"), ("藉助", "借助"), ("反覆", "反复"), ("乾隆", "乾隆"), ("著作", "着作"),
    ("瓦歷斯‧諾幹", "瓦历斯·诺干"), ("單位︰", "单位："), ("會議﹕", "会议:"), ("︽報告︾", "《报告》"),
])
def test_variants_and_compatibility_forms_fold_like_the_common_form(variant, common):
    assert key(variant) == key(common)


def test_every_compatibility_punctuation_form_folds_to_a_common_form():
    ranges = [range(0xFE10, 0xFE1A), range(0xFE30, 0xFE45), range(0xFE47, 0xFE53), range(0xFE54, 0xFE6C),
              range(0xFF01, 0xFF10), range(0xFF1A, 0xFF21), range(0x2010, 0x2016), range(0x2018, 0x2020),
              range(0x2025, 0x2028)]
    for cp in (c for r in ranges for c in r):
        ch = chr(cp)
        if not unicodedata.category(ch).startswith(("P", "S")):
            continue
        folded = normalize(ch)
        assert folded and all(ord(c) < 0x80 or c == "·" for c in folded), (hex(cp), folded)


def test_index_records_the_normalization_and_older_indexes_must_be_rebuilt(tmp_path):
    root = build_index(tmp_path, [make_report("r1", "某镇工作总结", [("前言", "藉此机会加强学习。")])])
    gen = store.current_generation(root)
    meta = store.read_meta(gen)
    assert meta["normalization"] == normalization_version()
    meta["normalization"] = "2-older"
    store.write_json_atomic(gen / store.META, meta)
    with pytest.raises(NoIndex, match="rebuild"):
        open_index(root)
    proc = subprocess.run([sys.executable, "-c", "from indexer.cli import main; main()", "search", "借此",
                           "--index", str(root)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 4 and "rebuild" in proc.stderr
    # an update of an index of another normalization is a full build
    src = tmp_path / "ix-src.jsonl"
    summary = build.update([str(src)], root, jobs=0)
    assert summary.added_pages == 1 and summary.unchanged_pages == 0
    with open_index(root) as index:
        assert search(index, SearchRequest(q="借此")).total == 1


# ---------------------------------------------------------------- searches

DOCS = [
    make_report("tw", "某市網路安全工作報告", [
        ("前言", "我們藉此機會，反覆強調網路安全與資訊公開，透過培訓提升能力。"),
        ("工作做法", "意識型態工作責任制落實到位。瓦歷斯‧諾幹出席會議。"),
    ], script="hant", unit_name="某市資訊中心", year=2022),
    make_report("cn", "某县2021年意识形态工作总结", [
        ("前言", "消息，据彭博社报道，今年利润-18万元。通过学习提高认识。"),
        ("工作做法", "坚持问题导向，着力解决群众反映强烈的突出问题。推进两学一做学习教育常态化。"
                 "加强交通网络基础设施建设。"),
        ("存在问题", "网络舆情应对能力不足，信息公开不及时。"),
    ], unit_name="某县委宣传部", year=2021),
    make_report("far", "某镇工作报告", [
        ("前言", "坚持问题导向。" + "今年我们做了大量基础工作，走访群众三百户，收集意见建议。" * 3
         + "着力解决突出问题。全年组织学习二十次。"),
        ("结语", "单位：中国社会科学杂志社。学党章党规、学系列讲话，做合格党员。"),
    ], unit_name="某镇", year=2020),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    root = build_index(tmp_path_factory.mktemp("typing"), DOCS)
    with open_index(root) as ix:
        yield ix


def ask(index, q, **kw):
    kw.setdefault("collapse", False)
    return search(index, SearchRequest(q=q, **kw))


def ids(response) -> set[str]:
    return {h.report_id for h in response.results}


@pytest.mark.parametrize("q", ["借此机会", "藉此機會", "反复强调", "反覆強調", "瓦历斯·诺干", "瓦歷斯‧諾幹",
                               "瓦歷斯・諾幹", "单位︰中国社会科学"])
def test_context_dependent_phrases_and_name_dots_in_either_script(index, q):
    resp = ask(index, q)
    assert resp.relaxed is None and resp.results, q


def test_regional_wording_is_a_visible_expansion_that_can_be_switched_off(index):
    resp = ask(index, "网络安全")
    assert ids(resp) == {"tw"} and "网路安全" in resp.expansions
    assert ask(index, "网络安全", expand=False).total == 0
    resp = ask(index, "網路")  # Taiwan wording finds mainland text, and its own
    assert ids(resp) == {"tw", "cn"} and resp.expansions == ["网络"]
    assert resp.results[0].report_id == "tw"  # what was typed ranks above the alternative
    assert ids(ask(index, "意识形态工作责任制")) == {"tw"}  # 意識型態
    assert ids(ask(index, "透過培訓")) == {"tw"}
    assert ask(index, "透過学习").total == 1 and ask(index, "透過学习", expand=False).total == 0
    assert "<mark>" in ask(index, "信息公开").results[0].snippet


def test_regional_word_straddling_a_word_of_a_window_is_expanded_when_nothing_is_found(index):
    # jieba reads 交通网 + 路基 here, so 網路 straddles a word: not an alternative while
    # the typed text finds something, tried when it finds nothing
    resp = ask(index, "交通網路基")
    assert ids(resp) == {"cn"} and resp.relaxed is None and "交通网络基" in resp.expansions
    assert ask(index, "交通網路基", expand=False).total == 0


def test_ladder_punctuation_step(index):
    resp = ask(index, "消息据彭")
    assert ids(resp) == {"cn"} and resp.relaxed == "punctuation"
    assert "<mark>消息，据彭</mark>" in resp.results[0].snippet
    assert ask(index, '"消息据彭"').relaxed == "punctuation"  # quoted: still ignores punctuation
    assert ask(index, "消息，据彭").relaxed is None


def test_ladder_near_and_words_steps(index):
    near = ask(index, "问题导向突出问题")
    assert near.relaxed == "near" and ids(near) == {"cn"}  # in "far" the words are far apart
    assert "<mark>问题导向</mark>" in near.results[0].snippet
    words = ask(index, "问题导向学习二十次")
    assert words.relaxed == "words" and ids(words) == {"far"}
    assert ask(index, '"问题导向突出问题"').total == 0  # a quoted phrase is not split into words
    assert ask(index, "意识形态").relaxed is None


def test_pasted_text_that_looks_like_syntax(index):
    resp = ask(index, "-18万元")
    assert ids(resp) == {"cn"} and resp.understood == '"-18万元"'
    assert ids(ask(index, "利润 -18万元")) == {"cn"}  # a minus before a number is a sign
    assert ids(ask(index, "问题导向 -突出问题")) == set()  # a real exclusion still excludes
    assert ids(ask(index, "坚持 -彭博社")) == {"far"}
    assert ids(ask(index, "NOT")) == set() and ask(index, "NOT").understood == '"not"'
    assert ask(index, "-彭博社").understood == '"-彭博社"'  # nothing positive left: text
    # a field prefix is syntax only when that finds something
    assert ask(index, "单位：宣传部").understood == 'unit:"宣传部"'
    pasted = ask(index, "单位：中国社会科学")
    assert ids(pasted) == {"far"} and pasted.understood == '"单位:中国社会科学"'
    assert [p.understood() for p in readings("单位：中国社会科学")] == ['unit:"中国社会科学"', '"单位:中国社会科学"']
    assert len(readings("两学一做")) == 1


def test_did_you_mean_homophone_and_pinyin_never_substituted(index):
    typo = ask(index, "意识形太")
    assert [(s.q, s.kind) for s in typo.suggestions][:1] == [("意识形态", "homophone")]
    assert typo.understood == '"意识形太"' and typo.total == 0  # offered, not substituted
    for q in ("ysxt", "yishixingtai", "yi shi xing tai"):
        resp = ask(index, q)
        assert resp.total == 0 and resp.suggestions and resp.suggestions[0].q == "意识形态", q
        assert resp.suggestions[0].kind == "pinyin" and resp.suggestions[0].total == 2
    assert ask(index, "意识形态").suggestions == []


def test_warm_prepares_the_vocabulary_of_this_and_every_later_generation(tmp_path):
    """`dangan serve` warms its index: the did-you-mean vocabulary is read before a query
    needs it, also for a generation published while it serves."""
    import time

    root = build_index(tmp_path, DOCS)
    with open_index(root) as ix:
        assert ix.state().vocab is None  # without a warm-up, the first query finding little reads it
        ix.warm()
        first = ix.state()
        assert first.vocab is not None
        build_index(tmp_path, DOCS)  # a new generation of the same index
        time.sleep(1.2)  # the index looks for a new generation at most once a second
        later = ix.state()
        assert later is not first and later.vocab is not None
        typo = ask(ix, "意识形太")
        assert [(s.q, s.kind) for s in typo.suggestions][:1] == [("意识形态", "homophone")]


def test_synonyms_file_is_kept_with_the_index_and_expands(tmp_path):
    syn = tmp_path / "synonyms.txt"
    syn.write_text("# librarian's synonyms\n两学一做 = 学党章党规、学系列讲话，做合格党员\n网格员 => 网格管理员\n",
                   encoding="utf-8")
    src = tmp_path / "src.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in DOCS), encoding="utf-8")
    root = tmp_path / "ix"
    summary = build.build([str(src)], root, jobs=0, synonyms=str(syn))
    gen = store.current_generation(root)
    meta = store.read_meta(gen)
    assert (gen / "synonyms.txt").read_bytes() == syn.read_bytes()
    assert meta["synonyms_version"] == summary.synonyms_version
    with open_index(root) as index:
        resp = ask(index, "两学一做")
        assert ids(resp) == {"cn", "far"} and "学党章党规,学系列讲话,做合格党员" in resp.expansions
        assert ids(ask(index, "两学一做", expand=False)) == {"cn"}
    build.update([str(src)], root, jobs=0)  # without --synonyms: none any more
    assert store.read_meta(store.current_generation(root))["synonyms"] is None


# ---------------------------------------------------------------- web and CLI


@pytest.fixture(scope="module")
def client(index):
    from web import create_app

    return create_app({"DANGAN_INDEX": str(index.root), "TESTING": True}).test_client()


def page(client, **args):
    response = client.get("/search", query_string=args)
    assert response.status_code == 200
    return BeautifulSoup(response.data, "lxml")


def test_search_page_shows_reading_step_expansions_and_suggestions(client):
    soup = page(client, q="消息据彭")
    assert soup.select_one(".notice.relaxed")["data-step"] == "punctuation"
    assert "忽略标点" in soup.select_one(".notice.relaxed").get_text()
    assert soup.select_one(".understood .uq").get_text() == '"消息据彭"'
    soup = page(client, q="网络安全")
    assert "网路安全" in soup.select_one(".expansions").get_text()
    off = soup.select_one("a.expand-off")["href"]
    assert "expand=0" in off
    soup = BeautifulSoup(client.get(off).data, "lxml")
    assert soup.select_one("#no-results") and soup.select_one("a.expand-on")
    soup = page(client, q="ysxt")
    link = soup.select_one("a.suggestion")
    assert link.get_text() == "意识形态" and "q=%E6%84%8F" in link["href"]


def test_api_carries_step_expansions_suggestions_and_expand_switch(client):
    data = client.get("/api/search", query_string={"q": "网络安全"}).get_json()
    assert data["relaxed"] is None and data["expansions"] == ["网路安全"] and data["total"] == 1
    assert client.get("/api/search", query_string={"q": "网络安全", "expand": "0"}).get_json()["total"] == 0
    assert client.get("/api/search", query_string={"q": "x", "expand": "maybe"}).status_code == 400
    data = client.get("/api/search", query_string={"q": "意识形太"}).get_json()
    assert data["suggestions"][0] == {"q": "意识形态", "kind": "homophone", "total": 2}
    assert client.get("/api/search", query_string={"q": "消息据彭"}).get_json()["relaxed"] == "punctuation"


def test_parse_never_fails_on_pasted_or_hostile_text():
    for q in ["-", "--", "-.5", "NOT NOT", "单位：", "unit:", "-单位：", "OR", '"-18万元"', "a" * 600]:
        assert parse(q) is not None
        assert readings(q)


@pytest.mark.parametrize("skewed", [False, True], ids=["even", "common-first-pair"])
def test_punctuation_step_matches_a_brute_force_scan(tmp_path, skewed):
    """The ladder's punctuation step (occurrences of a key's characters with at most
    `loose_max_gap` punctuation characters between consecutive ones) finds exactly the
    starts a regular-expression scan of every body's key finds, per report. Skewed text
    (工作 everywhere, the other characters rare) and keys that start with its common
    pair take the walk bounded by a rarer pair (execute.LOOSE_ANCHOR_RATIO)."""
    import random
    import re

    from indexer.search.analysis import wordy
    from indexer.settings import SETTINGS

    rnd = random.Random(7)
    alphabet = list("工作队伍意识形态" * 3 + "，、。；“”（）")
    if skewed:
        alphabet = ["工作", "工作，", "工", "作"] * 12 + alphabet
    gap = SETTINGS.index.loose_max_gap
    reports = [make_report(f"r{i}", f"报告{i}", [("前言", "".join(rnd.choice(alphabet) for _ in range(rnd.randint(40, 400))))])
               for i in range(16)]
    widest = ("、" * gap).join("工作意识")  # the most punctuation allowed between each two
    reports.append(make_report("wide", "报告", [("前言", f"开头{widest}，结尾")]))
    root = build_index(tmp_path, reports)
    with open_index(root) as index:
        state = index.state()
        ex = state.executor
        keys = {}
        for doc in range(state.cols.n):
            rep = state.store.report(doc)
            keys[doc] = key(rep["body"])
        punct = "".join(sorted({c for k in keys.values() for c in k if not wordy(c)}))
        for i in range(150):
            k = "".join(rnd.choice("工作队伍意识形态") for _ in range(rnd.randint(2, 5)))
            if skewed:
                k = "工作" + k[:3] if i else "工作意识"
            occ = ex.occurrences("body_c", k, loose=True)
            docs, counts = ex.post.doc_counts("body_c", occ)
            got = dict(zip(docs.tolist(), counts.tolist()))
            pattern = re.compile("(?=" + f"[{re.escape(punct)}]{{0,{gap}}}".join(map(re.escape, k)) + ")")
            want = {doc: n for doc, text in keys.items() if (n := len(pattern.findall(text)))}
            assert got == want, k


def test_pasted_text_with_curly_quotes_is_text(tmp_path):
    """A curly quote delimits a phrase only where one opens (a token's start) and where
    it closes; cut or pasted text with quotes inside (”暨“两, 关于“两学一做”的报告) is
    searched as the text it is, not split into quoted words."""
    root = build_index(tmp_path, [
        make_report("qd", "某乡工作总结", [("前言", "开展了“聚焦产业扶贫推进强乡富民”暨“两学一做”大型文艺晚会。"
                                           "印发关于“两学一做”的报告。")]),
        make_report("apart", "某镇工作总结", [("前言", "暨南大学师生参加活动。两个项目落地。关于报告的说明。"
                                              "两学一做学习教育。")]),
    ])
    with open_index(root) as index:
        assert ids(ask(index, "”暨“两")) == {"qd"}
        pasted = ask(index, "关于“两学一做”的报告")
        assert ids(pasted) == {"qd"} and len(parse("关于“两学一做”的报告").must) == 1
        assert ids(ask(index, "“两学 一做”")) == {"qd", "apart"}  # quotes that delimit: a phrase
    (term,), = parse("“两学 一做”").must
    assert term.quoted and term.key == "两学一做"
    assert parse("title:“两学 一做”").understood() == 'title:"两学一做"'
    assert parse("“未闭合 两学").understood() == '"未闭合两学"'  # never closed: to the end


def test_translate_tables_match_a_scan_of_every_code_point():
    """The tables are built from the code points that can change (normalize.py); a scan
    of every code point through `_fold_char` gives the same table and pattern."""
    import re
    import sys

    from indexer import normalize as N

    table, pattern = N._tables()
    want, irregular = {}, []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if 0xD800 <= cp <= 0xDFFF or (cp < 0x80 and ch not in N._WHITESPACE):
            continue
        folded = N._fold_char(ch)
        if len(folded) != 1:
            irregular.append(ch)
        elif folded != ch:
            want[cp] = folded
    assert table == want
    assert pattern.pattern == "[" + "".join(re.escape(c) for c in irregular) + "]"
