"""Our index forms as Sphinx tokens, and parsed queries as match expressions (no cluster)."""
from __future__ import annotations

import re

from indexer.search import analysis
from indexer.search.backends.sphinx import cluster, forms, layout
from indexer.search.query import ParsedQuery, Term, parse

ALPHABET = re.compile(r"[0-9a-zA-Z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def test_tokens_stay_whole_in_the_charset():
    k = analysis.key("2021年，我們「两学一做」α-β 𠀀 C++ 50% www.gov.cn")
    tokens = forms.key_tokens(k)
    assert len(tokens) == len(k)  # one token per key position: positions stay ours
    assert all(ALPHABET.fullmatch(t) for t in tokens)
    assert all(len(t) <= forms.MAX_TOKEN for t in tokens)


def test_encoding_is_injective_and_keeps_cjk_readable():
    samples = ["工作", "q0", "Q0", "，我", ",我", "𠀀", "a", "ab", "a,", "Q00002C", "\u3000"]
    encoded = [forms.encode(s) for s in samples]
    assert len(set(encoded)) == len(samples)
    assert forms.encode("工作") == "工作"
    assert forms.encode(",我") == "Q00002C我"
    long_word = "x" * 40
    assert forms.encode(long_word).startswith("H") and len(forms.encode(long_word)) == 17


def test_phrases_by_key_length():
    assert forms.phrase("党") == "党*"
    assert forms.phrase("党建") == "党建"
    assert forms.phrase("两学一做") == '"两学 学一 一做"'


def test_distinct_tokens_counts_each_keyword_once_up_to_32():
    assert forms.distinct_tokens("人民为人民") == 3
    assert forms.distinct_tokens("常常常") == 1
    assert forms.distinct_tokens("一二三四五六七八九十" * 4) == 10
    long_key = "".join(chr(0x4E00 + i) for i in range(40))
    assert forms.distinct_tokens(long_key) == 32


def test_section_text_never_joins_two_ranges():
    key = "甲乙丙丁戊己"
    texts = forms.section_texts(key, [("工作做法", 0, 2), ("存在问题", 2, 4), ("工作做法", 4, 6)])
    field = f"sec_{layout.SECTION_KINDS.index('工作做法')}"
    # each range as a key of its own: its last token is a single character
    assert texts[field] == "甲乙 乙 戊己 己"
    assert "乙戊" not in texts[field]


def test_match_expressions():
    assert forms.match_expression(parse(""), None) == ""
    assert forms.match_expression(parse("year:2020"), None) == ""
    # (a lone negation is read literally by the parser: the expression of a query with
    # exclusions only, built directly)
    assert forms.match_expression(ParsedQuery(must_not=[Term("舆情")]), None) == \
        "(@alld Z) -(@(body_c,title_c) 舆情)"
    words = Term("两学一做网格员", kind="words", words=("两学一做", "网格员"))
    # every word in one field (body or title), as execute.Executor.match_term
    assert forms.match_expression(ParsedQuery(must=[[words]]), None) == (
        '(((@body_c "两学 学一 一做") (@body_c "网格 格员")) | '
        '((@title_c "两学 学一 一做") (@title_c "网格 格员")))')
    assert not forms.supported(ParsedQuery(must=[[Term("两学一做", kind="loose")]]))
    assert forms.supported(ParsedQuery(must=[[words]]))
    assert forms.match_expression(parse("党建 OR 宣传 title:总结"), None) == (
        "((@(body_c,title_c) 党建) | (@(body_c,title_c) 宣传)) (@title_c 总结)")
    sec = f"sec_{layout.SECTION_KINDS.index('工作做法')}"
    assert forms.match_expression(parse("党建"), ["工作做法"]) == f"(@{sec} 党建)"
    assert forms.match_expression(parse("党建"), ["没有"]) is None


def test_config_uses_the_common_subset(tmp_path):
    nodes = [{"sql": 9306, "api": 9312}, {"sql": 9307, "api": 9313}]
    conf = cluster.node_config(tmp_path, 0, nodes)
    assert "non_cjk" not in conf and "workers" not in conf and "data_dir" not in conf
    assert "U+4E00..U+9FFF" in conf
    assert "agent_persistent = 127.0.0.1:9313:dangan_a_s1" in conf
    assert "local = dangan_b_s0" in conf
    assert "type = distributed" not in cluster.node_config(tmp_path, 1, nodes)
    mirrored = [{"sql": 9306 + i, "api": 9400 + i, "shard": i // 2, "mirror": i % 2} for i in range(4)]
    conf = cluster.node_config(tmp_path, 0, mirrored)
    assert "agent_persistent = 127.0.0.1:9402|127.0.0.1:9403:dangan_a_s1" in conf
    assert "agent_persistent = 127.0.0.1:9400|127.0.0.1:9401:dangan_a_s0" in conf
    assert "ha_strategy = nodeads" in conf and "local =" not in conf
    assert "index dangan_a_s1" in cluster.node_config(tmp_path, 3, mirrored)
    assert cluster.url_of(mirrored) == "sphinx://127.0.0.1:9306|127.0.0.1:9307,127.0.0.1:9308|127.0.0.1:9309"


def test_word_view_tokens_never_equal_character_view_tokens():
    """A query's phrase and its word counts must not share a keyword (2.2.11 then credits
    the word field with no hits in some documents: found at 12k pages, where the
    cluster's order differed from the embedded one for 37 of 200 queries)."""
    key = analysis.key("社交媒体工作，Q00002D和ABC")
    chars = set(forms.key_tokens(key))
    for w in ("社交", "媒体", "社交媒体", "工作", "q00002d", "abc", "，", "和"):
        assert forms.word_token(w) not in chars
    assert forms.words_text({"媒体": 2}) == "W媒体 W媒体"
