"""Site names from what a page shows when no URL is known."""
from indexer.extract.site import site_from_page


def test_host_in_copyright_line_wins():
    footer = ["关于我们", "Copyright © 文档范文网 www.WenDang.example 版权所有 京ICP备1号-1"]
    assert site_from_page("文档范文网", footer) == "www.wendang.example"


def test_title_tail_names_the_site_in_simplified():
    assert site_from_page("好範文網", ["本站內容來自網絡"]) == "好范文网"


def test_copyright_name_when_title_says_nothing():
    assert site_from_page(None, ["Copyright © 2008 - 2023 版权所有 博文学习网"]) == "博文学习网"


def test_sentence_like_title_tail_and_email_are_not_sites():
    assert site_from_page("2023年工作总结, 仅供参考", ["联系 admin@mail.example"]) is None
