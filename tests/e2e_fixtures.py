"""Shared fixtures for web tests: a small scraped archive, its real index, a live server
and a real headless Chromium page (Playwright driving Debian's /usr/bin/chromium).

Use from a test module (tests/ is on sys.path under pytest's default import mode):

    from e2e_fixtures import browser_page, chromium, live_server, pages_index  # noqa: F401

    @pytest.fixture
    def app(pages_index):          # live_server(app) serves whatever `app` the module defines
        return create_app({"DANGAN_INDEX": str(pages_index), "TESTING": True})

    def test_x(live_server, browser_page):
        browser_page.goto(live_server + "/search?q=…")
        …                           # console errors fail the test at teardown
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("DANGAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# --- a small archive covering both scripts, three encodings, a multi-report page, a
# near-duplicate on another site and hostile markup in the text ---------------------------

CHROME_TOP = ('<div class="nav">首页 | 工作总结 | 情况报告 | 范文大全 | 登录</div>\n'
              '<div class="side"><h4>热门文章</h4><ul><li><a href="/a.html">乡村振兴调研报告</a></li>'
              '<li><a href="/b.html">党风廉政建设述职报告</a></li></ul></div>\n')
CHROME_BOTTOM = '<div class="foot">关于我们 | 联系我们 | 网站地图 | Copyright 范文网</div>\n'

SECTIONS = {
    "总体情况": "一、总体情况",
    "工作做法": "二、主要做法",
    "存在问题": "三、存在的问题",
    "下步打算": "四、下步打算",
}

# (file name, site, unit, year, genre, facts by section kind, script, encoding)
REPORTS = [
    ("qingshan-xcb-2021.html", "gongwen.example", "青山县委宣传部", 2021, "工作总结",
     {"工作做法": "全面推进两学一做学习教育常态化制度化，组织网格员巡查一百二十次。",
      "存在问题": "个别单位对网络舆情研判不够及时。"}, "hans", "utf-8"),
    ("liuhe-town-2020.html", "fanwen.example", "柳河镇", 2020, "情况报告",
     {"工作做法": "镇党委扎实开展两学一做，落实三会一课制度，建成文化广场三处。",
      "存在问题": "部分村干部理论学习浮于表面。"}, "hant", "utf-8"),
    ("linjiang-jyj-2019.html", "gongwen.example", "临江市教育局", 2019, "专题报告",
     {"工作做法": "把意识形态工作纳入学校党建考核，开展思政课集体备课四十场。",
      "下步打算": "继续加强校园网络阵地管理。"}, "hans", "gb18030"),
    ("qingyuan-fy-2022.html", "wenku.example", "清源县人民法院", 2022, "述职报告",
     {"工作做法": "坚持以案释法，全年巡回审判八十六场，裁判文书上网率达到百分之百。",
      "存在问题": "司法宣传方式比较单一。"}, "hant", "big5"),
    ("nanchuan-fl-2018.html", "fanwen.example", "南川县妇联", 2018, "调研报告",
     {"工作做法": "开展家庭家教家风宣传活动，评选最美家庭二十户。",
      "下步打算": "进一步壮大巾帼志愿者队伍。"}, "hans", "utf-8"),
]

HOSTILE_TITLE = "东湖社区2023年意识形态工作总结<b>加粗</b>"
ZIP_FACT = "建成智慧党建驿站两处，服务群众三千余人次。"
HOSTILE_TEXT = "社区开展网络安全宣传周活动，揭露<script>alert('xss')</script>钓鱼链接骗局。"


def _report_html(title: str, unit: str, year: int, facts: dict[str, str]) -> list[str]:
    paras = [f"{year}年以来，{unit}在上级党委的坚强领导下，认真落实意识形态工作责任制，"
             f"现将有关情况报告如下。"]
    for kind, heading in SECTIONS.items():
        paras.append(f"<strong>{heading}</strong>")
        paras.append(facts.get(kind, f"{unit}围绕中心工作，认真研究部署，各项任务有序推进。"))
        paras.append("我们坚持问题导向，注重工作实效，推动各项措施落地见效。")
    return paras


def _page(title: str, body_paras: list[str], charset: str, url: str) -> str:
    body = "\n".join(f"<p>{p}</p>" for p in body_paras)
    return (f'<!DOCTYPE html>\n<html><head><meta charset="{charset}"><title>{title}_范文网</title>'
            f'<link rel="canonical" href="{url}">'
            f"<script>var tracker = 1;</script></head>\n<body>\n{CHROME_TOP}"
            f'<div class="article"><h1>{title}</h1>\n<div class="content">\n{body}\n</div></div>\n'
            f"{CHROME_BOTTOM}</body></html>\n")


def write_archive(folder: Path) -> Path:
    """Write the test archive into `folder` (one sub-folder per site) and return it."""
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    for name, site, unit, year, genre, facts, script, encoding in REPORTS:
        title = f"{unit}{year}年意识形态工作{genre}".replace("工作工作", "工作")
        paras = _report_html(title, unit, year, facts)
        html = _page(title, paras, encoding, f"https://{site}/{name}")
        if script == "hant":  # the whole page, chrome included, as a Traditional site
            html = s2t.convert(html)
        (folder / site).mkdir(parents=True, exist_ok=True)
        (folder / site / name).write_bytes(html.encode(encoding))
    # A near-duplicate of the first report, copied by another site.
    first = (folder / "gongwen.example" / REPORTS[0][0]).read_text("utf-8")
    (folder / "copycat.example").mkdir(exist_ok=True)
    (folder / "copycat.example" / "copy-qingshan.html").write_text(
        first.replace("_范文网", "_抄录网").replace("gongwen.example/qingshan-xcb-2021",
                                                  "copycat.example/copy-qingshan"), "utf-8")
    # Hostile markup inside the report text: it must reach the reader escaped.
    from html import escape

    paras = _report_html(HOSTILE_TITLE, "东湖社区", 2023, {"工作做法": HOSTILE_TEXT})
    (folder / "fanwen.example" / "donghu-2023.html").write_text(
        _page(escape(HOSTILE_TITLE), [p if p.startswith("<strong>") else escape(p) for p in paras],
              "utf-8", "https://fanwen.example/donghu-2023.html"), "utf-8")
    # A text dump holding two reports (【篇一】/【篇二】), GB18030 encoded.
    dump = ["村社区工作报告范文两篇", ""]
    for n, unit in (("一", "西岭村"), ("二", "北坡村")):
        dump += [f"【篇{n}】{unit}2022年意识形态工作情况报告", ""]
        for para in _report_html("", unit, 2022, {"工作做法": f"{unit}组织党员开展夜校学习十二期。"}):
            dump += [para.replace("<strong>", "").replace("</strong>", ""), ""]
    (folder / "wenku.example").mkdir(exist_ok=True)
    (folder / "wenku.example" / "village-reports.txt").write_bytes("\n".join(dump).encode("gb18030"))
    # A page inside a zip archive (its source is "bundle.zip!member").
    import zipfile

    title = "南湖街道2024年意识形态工作总结"
    paras = _report_html(title, "南湖街道", 2024, {"工作做法": ZIP_FACT})
    with zipfile.ZipFile(folder / "bundle.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("pages/nanhu-2024.html",
                    _page(title, paras, "utf-8", "https://zip.example/nanhu-2024.html"))
    return folder


def build_index(archive: Path, index: Path) -> None:
    """Build with the operators' command (the most stable interface of the search core);
    while that command is not registered yet, with the library function it wraps."""
    dangan = shutil.which("dangan", path=str(Path(sys.executable).parent)) or "dangan"
    proc = subprocess.run([dangan, "index", "build", str(archive), "--index", str(index)],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode != 0 and "No such command 'index'" in proc.stderr:
        from indexer.search.build import build

        build([str(archive)], index, jobs=1)
        return
    if proc.returncode != 0:
        raise RuntimeError(f"dangan index build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")


# Test modules import these fixtures, so each importing module holds its own copy of a
# session fixture; the expensive objects (index, browser) are kept once per pytest run in
# the config's stash instead, so every copy returns the same one.
_INDEX_KEY = pytest.StashKey[Path]()
_BROWSER_KEY = pytest.StashKey[object]()


@pytest.fixture(scope="session")
def pages_index(request, tmp_path_factory) -> Path:
    """A real index of the test archive (built once per run)."""
    try:
        from indexer.search import search  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the search core (indexer.search) is not importable yet: {exc}")
    stash = request.config.stash
    if _INDEX_KEY not in stash:
        base = tmp_path_factory.mktemp("pages")
        archive = write_archive(base / "archive")
        build_index(archive, base / "index")
        stash[_INDEX_KEY] = base / "index"
    return stash[_INDEX_KEY]


# --- live server and browser ---------------------------------------------------------

@pytest.fixture
def live_server(app):
    """Serve the module's `app` fixture on a free localhost port; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium(request):
    """One headless Chromium per run; skips with the reason when unavailable."""
    stash = request.config.stash
    if _BROWSER_KEY in stash:
        return stash[_BROWSER_KEY]
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium not found at {CHROMIUM}: e2e tests skipped "
                    "(scripts/test installs Debian's chromium when it can)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("the playwright package is not installed: e2e tests skipped")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as exc:  # noqa: BLE001 - a broken browser install is a skip reason
        pw.stop()
        pytest.skip(f"Chromium at {CHROMIUM} could not start: {exc}")

    def close() -> None:
        browser.close()
        pw.stop()

    request.config.add_cleanup(close)
    stash[_BROWSER_KEY] = browser
    return browser


@pytest.fixture
def browser_page(chromium):
    """A fresh page (own context: no shared cookies). Console errors and uncaught page
    errors are collected in ``page.console_errors`` and fail the test at teardown; a test
    that expects some can clear the list."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.console_errors = errors
    yield page
    context.close()
    assert not errors, f"browser console errors: {errors}"
