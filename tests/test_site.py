"""The `site` facet: the registrable host of a known URL, else a name the page gives
itself, never a sentence or a label."""
import pytest

from indexer.extract.site import registrable_host, site_from_page, site_from_url, site_name


@pytest.mark.parametrize("url, site", [
    ("https://www.sohu.com/a/1.html", "sohu.com"),
    ("https://sohu.com/a/2.html", "sohu.com"),
    ("http://business.sohu.com/20050311/n1.shtml", "sohu.com"),
    ("https://m.news.example.com.cn/x", "example.com.cn"),
    ("http://www.gov.cn/zhengce/1.htm", "www.gov.cn"),  # folding www. would leave a public suffix
    ("http://fgw.beijing.gov.cn/1.html", "beijing.gov.cn"),
    ("http://127.0.0.1:8080/p.html", "127.0.0.1"),
    ("http://intranet/p.html", "intranet"),
    ("https://www.wendang.example/p1.html", "wendang.example"),
])
def test_site_is_the_registrable_host_of_the_url(url, site):
    assert site_from_url(url) == site


def test_no_url_no_site():
    assert site_from_url(None) is None and registrable_host("") is None


def test_host_in_copyright_line_wins():
    footer = ["关于我们", "Copyright © 文档范文网 www.WenDang.example 版权所有 京ICP备1号-1"]
    assert site_from_page([], "文档范文网", footer) == "wendang.example"


def test_title_tail_names_the_site_in_simplified():
    assert site_from_page([], "好範文網", ["本站內容來自網絡"]) == "好范文网"


def test_title_tail_repeated_in_the_footer_is_the_site():
    assert site_from_page([], "笔尖写作", ["© 笔尖写作 用户协议 隐私政策"]) == "笔尖写作"


def test_copyright_name_when_title_says_nothing():
    assert site_from_page([], None, ["Copyright © 2008 - 2023 版权所有 博文学习网"]) == "博文学习网"
    assert site_from_page([], None, ["本网站所有内容为中国某某新闻网版权所有"]) == "中国某某新闻网"


def test_declared_site_name_is_used():
    assert site_from_page(["某某日报"], "要闻", []) == "某某日报"


@pytest.mark.parametrize("tail", ["[快讯]", "(新闻)", "资讯", "全球", "2023年工作总结, 仅供参考",
                                  "测试某车,某车(图)", "尼克斯"])
def test_labels_sentences_and_plain_words_are_not_sites(tail):
    assert site_from_page([], tail, ["联系 admin@mail.example"]) is None


def test_site_name_strips_brackets_but_keeps_a_name():
    assert site_name("[快资讯]") == "快资讯"
    assert site_name("所有内容为某某网，转载请注明") is None
