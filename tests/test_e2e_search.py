"""End to end in real headless Chromium: what a reader does in the browser.

Skips (with the reason) when /usr/bin/chromium or Playwright is missing. Every test
also fails on any browser console error (see e2e_fixtures.browser_page).
Set DANGAN_SCREENSHOT=path to also save the search-page screenshot used in the README.
"""
from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from e2e_fixtures import browser_page, chromium, live_server, pages_index  # noqa: F401
from web import create_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app(pages_index):
    return create_app({"DANGAN_INDEX": str(pages_index), "TESTING": True})


def total(page) -> int:
    return int(re.search(r"\d+", page.locator("#total").inner_text()).group())


def chips(page) -> list[str]:
    return [c.strip() for c in page.locator(".chips a.chip:not(.clear)").all_inner_texts()]


def facet_counts(page, facet: str) -> dict[str, int]:
    links = page.locator(f'.facet[data-facet="{facet}"] a.facet-value')
    return {links.nth(i).locator(".fv-label").inner_text(): int(links.nth(i).locator(".count").inner_text())
            for i in range(links.count())}


def test_traditional_query_highlights_simplified_documents(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/")
    box = page.get_by_label("搜索报告")
    box.fill("兩學一做")
    box.press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["兩學一做"]
    assert total(page) >= 2
    assert "两学一做" in page.locator(".understood").inner_text()
    marks = page.locator(".snippet mark").all_inner_texts()
    assert "两学一做" in marks, marks  # Simplified document, Traditional query
    assert "兩學一做" in marks, marks  # and the Traditional one, in its own script
    if os.environ.get("DANGAN_SCREENSHOT"):
        page.set_viewport_size({"width": 1280, "height": 860})
        page.screenshot(path=os.environ["DANGAN_SCREENSHOT"])


def test_facet_click_updates_counts_and_chips_and_back_restores(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/search?q=意识形态")
    before_total, before_years = total(page), facet_counts(page, "year")
    assert chips(page) == []
    page.locator('.facet[data-facet="unit_type"] a.facet-value', has_text="党委部门").click()
    page.wait_for_url(re.compile("unit_type="))
    assert chips(page) == ["单位类型：党委部门 ×"]
    after_total, after_years = total(page), facet_counts(page, "year")
    assert after_total < before_total
    assert after_years != before_years  # other facets' counts follow the filter
    # A second value of the same facet widens (OR); a value of another facet narrows (AND).
    page.locator('.facet[data-facet="unit_type"] a.facet-value', has_text="乡镇街道").click()
    page.wait_for_url(re.compile("unit_type=.*unit_type="))
    widened = total(page)
    assert widened > after_total and len(chips(page)) == 2
    # Back restores the previous state exactly (URL holds it), then forward again.
    page.go_back()
    page.wait_for_url(lambda url: url.count("unit_type=") == 1)
    assert chips(page) == ["单位类型：党委部门 ×"] and total(page) == after_total
    page.go_back()
    page.wait_for_url(lambda url: "unit_type" not in url)
    assert chips(page) == [] and total(page) == before_total
    assert page.get_by_label("搜索报告").input_value() == "意识形态"
    page.go_forward()
    page.wait_for_url(re.compile("unit_type="))
    assert chips(page) == ["单位类型：党委部门 ×"]
    # Removing the chip removes the filter.
    page.locator(".chips a.chip:not(.clear)").first.click()
    page.wait_for_url(lambda url: "unit_type" not in url)
    assert total(page) == before_total


def test_open_report_jump_to_section_and_switch_script(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/search?q=网格员巡查")
    page.locator(".hit-title a").first.click()
    page.wait_for_url(re.compile(r"/reports/"))
    assert page.locator("article.report mark").first.inner_text() == "网格员巡查"
    # Jump to a section from the table of contents, by keyboard.
    link = page.locator("nav.toc a", has_text="存在的问题")
    target = link.get_attribute("href")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(target) + "$"))
    heading = page.locator(f"{target} h2")
    assert "存在问题" in heading.inner_text()  # the kind badge
    box = heading.bounding_box()
    assert 0 <= box["y"] < page.viewport_size["height"] / 2
    # Switch to Traditional: the text converts, the query stays in the URL and marks.
    page.locator(".switch a", has_text="繁体").click()
    page.wait_for_url(re.compile("display=hant"))
    assert parse_qs(urlsplit(page.url).query)["q"] == ["网格员巡查"]
    assert "網格員巡查" in page.locator("article.report mark").all_inner_texts()
    assert "坚持" not in page.locator("article.report").inner_text()
    page.go_back()
    page.wait_for_url(lambda url: "display" not in url)
    assert page.locator("article.report mark").first.inner_text() == "网格员巡查"


def test_works_without_javascript(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server + "/search?q=意识形态")
        page.locator('.facet[data-facet="year"] a.facet-value').first.click()
        page.wait_for_url(re.compile("year="))
        assert len(page.locator(".chips a.chip:not(.clear)").all()) == 1
        page.locator(".hit-title a").first.click()
        page.wait_for_url(re.compile("/reports/"))
        assert page.locator("nav.toc a").count() >= 2
    finally:
        context.close()


def test_keyboard_slash_focuses_search_and_phone_layout(live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/search?q=意识形态")
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.id") == "q"
    # In the reading view, "n" walks through the highlighted query terms.
    page.goto(live_server + "/search?q=意识形态")
    page.locator(".hit-title a").first.click()
    page.wait_for_url(re.compile("/reports/"))
    page.keyboard.press("n")
    page.keyboard.press("n")
    active = page.locator("article.report mark.active")
    assert active.count() == 1
    assert active.evaluate("m => [...document.querySelectorAll('article.report mark')].indexOf(m)") == 1
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server + "/search?q=意识形态")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # no horizontal scrolling on a phone
