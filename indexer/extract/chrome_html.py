"""HTML pages -> CleanPage, in these passes (general signals only: no rule knows a site):

1. parse        tolerant: framesets read their <noframes>, huge tags cut down, nesting
                bombs defused, a body libxml2 nested in <head> (markup before <html>,
                an unclosed tag) hoisted back; page metadata read (title, URL, date)
2. invisible    scripts, styles, hidden elements (inline or by the page's stylesheet)
3. heading      the h1-h3 (or styled line) repeating <title>; then <nav>/<header>/… go
4. blocks       one paragraph per block element or <br>, with its link density
5. main block   from the heading's nearest ancestor holding prose after it (else <body>)
                descend into the child holding most of the prose; comment threads weigh
                nothing; lone lead paragraphs and loose text beside it are kept
6. lines        the shared line selection (chrome_lines.select): chrome cues, lists,
                teasers, the body's first to last paragraph and its closing lines
7. fallback     a page without prose (contents, verse): the element holding most of the
                unlinked plain lines
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from . import lines as L
from .chrome_lines import Item, select
from .model import CleanPage, DecodedPage, ExtractError
from .site import site_from_page, site_from_url
from ..settings import SETTINGS

# never visible, or page furniture by definition
_INVISIBLE = {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
              "select", "option", "button", "input", "textarea", "head", "title", "meta", "link"}
_STRUCTURAL = {"nav", "header", "footer", "aside", "form", "menu"}
_BLOCK = {"html", "body", "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5",
          "h6", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "section", "article", "main",
          "blockquote", "pre", "center", "address", "figure", "figcaption", "hr", "br", "form",
          "fieldset", "details", "summary", "caption", "header", "footer", "nav", "aside", "menu"}
# conventional utility classes for hidden elements (Bootstrap, Tailwind, WordPress ...)
_HIDDEN_CLASSES = {"hidden", "hide", "d-none", "sr-only", "visually-hidden", "screen-reader-text", "invisible"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*([a-zA-Z][\w-]*)?([.#])([\w-]+)\s*$")
# runs of empty opening / closing tags: the signature of nesting bombs
_OPEN_RUN = re.compile(r"(?:<[a-zA-Z][\w-]*(?:\s[^<>]*)?>\s*){32,}")
_CLOSE_RUN = re.compile(r"(?:</[a-zA-Z][\w-]*\s*>\s*){32,}")
_TAG = re.compile(r"<[a-zA-Z][\w-]*(?:\s[^<>]*)?>|</[a-zA-Z][\w-]*\s*>")
# a page without prose is a document when this much plain text remains (a contents page)
# a thread of comments: this many dated bylines, one for every few paragraphs at most
_SITE_SEP = re.compile(r"\s*(?:_|\||｜|–|—|\s-\s)\s*")


@dataclass
class _Block:
    text: str
    owner: object  # the lxml element holding the text
    link_chars: int


def clean_html(decoded: DecodedPage) -> CleanPage:
    # 1. parse
    html = _defuse_nesting(_shrink_huge_tags(_unframe(decoded.text)))
    root = _parse(html)
    if root is None:
        raise ExtractError("no_content: empty document")
    warnings = list(decoded.warnings)
    title = _page_title(root)
    url = _canonical(root, decoded.raw.url) or decoded.raw.url
    site = site_from_url(url) if url else site_from_page(
        _declared_site_names(root), _title_tail(root), _strip_tags(html[-6000:])[-12:])
    date = _meta_date(root)
    lost = _lost_text(html, root)
    # 2. invisible; 3. heading, read before <header> is dropped (sites put the h1 in it)
    _drop_invisible(root, structural=False)
    heading_el = _main_heading(root, title)
    _drop_invisible(root, structural=True, keep=heading_el)
    # 4. blocks
    blocks = _blocks(root)
    if lost:
        # the parser gave up part of the document (nesting beyond its limits): fall back to
        # the tag-stripped text, one block element a line
        warnings.append("html_flattened: parser lost text, used tag-stripped text")
        blocks = [_Block(t, None, 0) for t in _strip_tags(html)]
        heading_el = None
    if date is None:
        date = next((d for b in blocks[:200] if len(b.text) < 120 and (d := L.find_date(L.fold(b.text)))), None)
    items = [Item(b.text, link_density=b.link_chars / max(1, len(b.text))) for b in blocks]
    heading_at = _block_of(blocks, heading_el)
    if heading_at is not None:
        h1 = " ".join(b.text for b in blocks[heading_at:] if b.owner is heading_el) or blocks[heading_at].text
    else:
        heading_at = _title_block(items, title) if title else None
        h1 = items[heading_at].text if heading_at is not None else None
    # 5. main block; 6. lines (a <br> inside a sentence is a soft break: re-joined)
    sel = select(_main_items(root, blocks, items, heading_at, _prose), heading_hint=h1, join_broken=True)
    lines, heading = sel.lines, sel.heading
    # 7. fallback
    if not lines:
        lines, heading = _plain_lines(root, blocks, items, heading_at, h1), h1
    if not lines:
        frames = [f.get("src") for f in root.iter("frame") if f.get("src")]
        if frames:
            raise ExtractError("no_content: a frameset page, its text is in the framed pages: " + ", ".join(frames[:5]))
        raise ExtractError("no_content: no report text found (chrome only)")
    return CleanPage(decoded=decoded, lines=lines, heading=heading, page_title=title or heading,
                     publish_date=date, url=url, site=site, warnings=tuple(warnings))


# --- parsing ----------------------------------------------------------------------------


def _defuse_nesting(html: str) -> str:
    """Cut runs of thousands of empty wrapper tags down to a few, keeping the tags nearest
    the text (they carry the real structure: h1, content div)."""

    def keep_last(m: re.Match) -> str:
        return "".join(_TAG.findall(m.group(0))[-8:])

    def keep_first(m: re.Match) -> str:
        return "".join(_TAG.findall(m.group(0))[:8])

    if html.count("<") < 500:  # too few tags to nest deeply; skips the scan of big pages
        return html
    html = _OPEN_RUN.sub(keep_last, html)
    return _CLOSE_RUN.sub(keep_first, html)


def _unframe(html: str) -> str:
    """A frameset page: libxml2 reads <noframes> as raw text; make it a <div>, so the
    text a frameset page offers browsers without frames is parsed as HTML."""
    if "<noframes" not in html.lower():
        return html
    return _NOFRAMES.sub(lambda m: "</div>" if m.group(1) else "<div>", html)


_NOFRAMES = re.compile(r"<(/?)noframes\b[^>]*>", re.I)


def _shrink_huge_tags(html: str) -> str:
    """A start tag with thousands of attributes keeps its first few: libxml2 checks each
    attribute against all earlier ones, so 200,000 of them would take hours to parse."""
    def shrink(m: re.Match) -> str:
        attrs = _ATTR.findall(m.group(2)[:SETTINGS.extract.max_tag_chars])[:SETTINGS.extract.max_tag_attributes]
        return f"<{m.group(1)} {' '.join(attrs)}>"

    limit = SETTINGS.extract.max_tag_chars
    return _huge_tag(limit).sub(shrink, html) if len(html) > limit else html


@functools.lru_cache(maxsize=2)
def _huge_tag(limit: int) -> re.Pattern[str]:
    return re.compile(r"<([a-zA-Z][\w:-]*)(\s[^<>]{%d,})>" % limit)
_ATTR = re.compile(r"""[\w:.-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?""")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _parse(html: str):
    html = _CONTROL.sub("", html)  # lxml refuses NUL and other control characters
    if not html.strip():
        return None
    parser = lxml.html.HTMLParser(huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    _hoist_body(root)
    return root


# what a <head> may hold; anything else found there is page content the parser misplaced
_HEAD_TAGS = {"title", "meta", "link", "script", "style", "base", "noscript", "template", "object"}


def _hoist_body(root) -> None:
    """Move page content that libxml2 left inside <head> into <body>.

    With markup before <html> (a <meta>, a comment) or an unknown tag in the head,
    libxml2 keeps the head open and nests the whole <body> inside it; browsers (the
    HTML5 tree builder) put that content in the body. Done here the same way, so the
    rest of the pipeline can drop <head> as invisible.
    """
    head = root.find("head")
    if head is None:
        return
    strays = [el for el in head if isinstance(el.tag, str) and el.tag not in _HEAD_TAGS]
    if not strays:
        return
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    for i, el in enumerate(strays):
        body.insert(i, el)  # moves the element (its tail text goes with it)
    for nested in list(body.iter("body")):
        if nested is not body:
            nested.drop_tag()


def _page_title(root) -> str | None:
    t = root.find(".//title")
    if t is None:
        return None
    text = L.collapse_ws(t.text_content())
    if not text:
        return None
    parts = _SITE_SEP.split(text)
    # "report title_site name": keep the title when the rest is short (a site name)
    if len(parts) > 1 and all(len(p) <= 16 for p in parts[1:]):
        return parts[0]
    head, sep, tail = text.rpartition("-")  # "title-site": a bare hyphen, name without digits
    if sep and 2 <= len(tail) <= 12 and not re.search(r"\d", tail) and L.cjk_count(head) >= 6:
        return head.strip()
    return text


def _declared_site_names(root) -> list[str]:
    """Site names the page's metadata declares (og:site_name, application-name)."""
    keys = ("og:site_name", "application-name", "apple-mobile-web-app-title")
    return [el.get("content") for el in root.iter("meta")
            if (el.get("property") or el.get("name") or "").lower() in keys and el.get("content")]


def _title_tail(root) -> str | None:
    """The part of <title> after its last separator ("report title_site name")."""
    t = root.find(".//title")
    parts = _SITE_SEP.split(L.collapse_ws(t.text_content())) if t is not None else []
    return parts[-1] if len(parts) > 1 else None


def _canonical(root, base: str | None) -> str | None:
    """<link rel=canonical> or og:url, made absolute against the WARC URL when relative."""
    for el in root.iter("link", "meta"):
        href = None
        if el.tag == "link" and "canonical" in (el.get("rel") or "").lower():
            href = el.get("href")
        elif el.tag == "meta" and (el.get("property") or el.get("name") or "").lower() == "og:url":
            href = el.get("content")
        if href and href.strip():
            href = urljoin(base, href.strip()) if base else href.strip()
            if urlsplit(href).hostname:
                return href
    return None


def _meta_date(root) -> str | None:
    for el in root.iter("meta", "time"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or "").lower()
        val = el.get("content") if el.tag == "meta" else (el.get("datetime") or el.text_content())
        if val and (el.tag == "time" or "date" in key or "time" in key or "pub" in key):
            d = L.find_date(val, need_cue=False)
            if d:
                return d
    return None


def _hidden_selectors(root) -> tuple[set[str], set[str]]:
    """Classes and ids that the page's own stylesheet hides (`.hide{display:none}`)."""
    classes: set[str] = set()
    ids: set[str] = set()
    for st in root.iter("style"):
        for sel, decl in _CSS_RULE.findall(st.text_content() or ""):
            if not _HIDDEN_STYLE.search(decl):
                continue
            for one in sel.split(","):
                m = _SIMPLE_SELECTOR.match(one)
                if m:
                    (classes if m.group(2) == "." else ids).add(m.group(3))
    return classes, ids


def _drop_invisible(root, structural: bool, keep=None) -> None:
    """Drop what is never shown; with `structural`, also the page furniture elements
    (a <header> holding `keep`, the main heading, gives way to the heading alone)."""
    classes, ids = _hidden_selectors(root)
    classes |= _HIDDEN_CLASSES
    body = root.find("body")
    total = L.cjk_count(body.text_content()) if body is not None else 0
    def minor(el) -> bool:
        # some sites wrap the whole page in <form>, put the article in <header>, or hide
        # the article until a script shows it ("展开全文"): never drop most of the text
        return total == 0 or L.cjk_count(el.text_content()) < 0.5 * total

    doomed = []
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if not tag or tag in _INVISIBLE:
            doomed.append(el)
            continue
        style = el.get("style") or ""
        hidden = (
            el.get("hidden") is not None
            or (el.get("aria-hidden") or "").lower() == "true"
            or _HIDDEN_STYLE.search(style)
            or set((el.get("class") or "").split()) & classes
            or (ids and el.get("id") in ids)
        )
        if (hidden or (structural and tag in _STRUCTURAL)) and minor(el):
            doomed.append(el)
    for el in doomed:
        if el.getparent() is None:
            continue
        if keep is not None and el.tag in _STRUCTURAL and any(a is el for a in keep.iterancestors()):
            keep.tail = None
            el.addprevious(keep)
        el.drop_tree()  # keeps the tail text, which belongs to the parent


# --- blocks -----------------------------------------------------------------------------


def _blocks(root) -> list[_Block]:
    """One block per paragraph: text between block-element boundaries and <br>."""
    blocks: list[_Block] = []
    buf: list[str] = []
    link_chars = 0
    stack: list = []
    in_link = 0

    def flush() -> None:
        nonlocal link_chars
        raw = "".join(buf)
        # in <pre> (and text pasted with white-space:pre) a newline ends a paragraph
        parts = raw.split("\n") if any(e.tag == "pre" for e in stack) else [raw]
        for part in parts:
            text = L.collapse_ws(part)
            if text:
                share = link_chars * len(text) // max(1, len(raw.strip()))
                blocks.append(_Block(text, stack[-1] if stack else None, share))
        buf.clear()
        link_chars = 0

    def add(text: str | None) -> None:
        nonlocal link_chars
        if text:
            buf.append(text)
            if in_link:
                link_chars += len(text.strip())

    for event, el in etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCK:
                flush()
                if tag != "br" and tag != "hr":
                    stack.append(el)
            if tag == "a":
                in_link += 1
            if tag:
                add(el.text)
        else:
            if tag == "a":
                in_link -= 1
            if tag in _BLOCK:
                flush()
                if tag != "br" and tag != "hr" and stack:
                    stack.pop()
            add(el.tail)
    flush()
    return blocks


def _strip_tags(html: str) -> list[str]:
    html = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>", " ", html)
    html = re.sub(r"(?is)<!--.*?-->", " ", html)
    html = re.sub(r"(?i)<(?:br|/?p|/?div|/?li|/?h[1-6]|/?tr|/?section|/?article)\b[^>]*>", "\n", html)
    text = lxml.html.fromstring(f"<div>{_TAG.sub(' ', html)}</div>").text_content() if html.strip() else ""
    return [ln for ln in (L.collapse_ws(x) for x in text.split("\n")) if ln]


def _lost_text(html: str, root) -> bool:
    """Did the parser drop part of the document (libxml2 stops at its nesting limit)?"""
    if html.count("<") < 500:  # too few tags to reach the limit
        return False
    parsed = L.cjk_count(root.text_content())
    rough = L.cjk_count(_TAG.sub(" ", re.sub(r"(?s)<!--.*?-->", " ", html)))
    return rough > 1.2 * parsed + 100


def _block_of(blocks: list[_Block], el) -> int | None:
    """Index of the first block inside element `el`."""
    if el is None:
        return None
    inside = set(el.iter())
    return next((i for i, b in enumerate(blocks) if b.owner in inside), None)


def _title_block(items: list[Item], title: str) -> int | None:
    """No h1-h3 repeats the <title>: a title-like paragraph that does (a styled div/td)."""
    tsq = L.squeeze(title)
    for i, it in enumerate(items):
        sim = L.bigram_f1(it.sq, tsq)
        if (it.title_like and sim >= SETTINGS.extract.repeat_similarity) or (
                sim >= SETTINGS.extract.title_line_similarity and len(it.sq) <= len(tsq) + 4):
            return i
        if it.prose and not it.cue:
            break  # the heading comes before the body
    return None


def _main_heading(root, title: str | None):
    """The visible main heading element: an h1 (else h2/h3) that repeats the <title>;
    failing that the first title-like h1. Logo h1s (links, site names) do not repeat the
    title."""
    tsq = L.squeeze(title or "")
    cands = []
    for h in root.iter("h1", "h2", "h3"):
        text = L.collapse_ws(h.text_content())
        f = L.fold(text)
        links = sum(len(a.text_content().strip()) for a in h.iter("a"))
        if L.cjk_count(text) < 4 or links >= 0.5 * len(text) or L.is_marker(f) or L.chrome_cue(f):
            continue
        cands.append((h, text))
    for level in ("h1", "h2", "h3"):
        for h, text in cands:
            sq = L.squeeze(text)
            close = sq in tsq or L.bigram_f1(sq, tsq) >= SETTINGS.extract.heading_similarity
            if h.tag == level and tsq and sq and close:
                return h
    return next((h for h, t in cands if h.tag == "h1" and L.is_title_like(L.fold(t))), None)


# --- main block -------------------------------------------------------------------------


def _prose(it: Item) -> bool:
    """What the main block is made of: prose that is neither a link nor chrome."""
    return it.link_density <= SETTINGS.extract.max_link_density and it.prose and not it.cue


def _plain(it: Item) -> bool:
    """What a page without prose is made of: unlinked lines of text that are no chrome,
    no menu and no title of another page."""
    return (it.link_density <= SETTINGS.extract.max_link_density and not it.cue and L.cjk_count(it.f) >= 2
            and not it.title_like
            and not L.is_menu(it.f))


def _plain_lines(root, blocks: list[_Block], items: list[Item], heading_at: int | None,
                 heading: str | None) -> tuple[str, ...]:
    """The lines of the element holding most of a prose-less page's plain text, when
    there are enough of them to be a document rather than leftovers of chrome."""
    kept = [it for it in _main_items(root, blocks, items, heading_at, _plain) if _plain(it) and it.text != heading]
    cfg = SETTINGS.extract
    if len(kept) < cfg.plain_min_lines or sum(L.cjk_count(it.f) for it in kept) < cfg.plain_min_cjk:
        return ()
    return tuple(it.text for it in kept)


def _main_items(root, blocks: list[_Block], items: list[Item], heading_at: int | None, counts) -> list[Item]:
    """The lines inside the element that holds (nearly) all of the article's text.

    Each paragraph that `counts` (prose) weighs its Chinese characters and counts for its
    element and every ancestor. With a main heading, only the text after it counts and
    the search starts at the heading's nearest ancestor holding any of it (the article);
    without one, at <body>. From there we descend into the child holding main_block_share
    of the weight (or dominating it), as long as there is one.
    """
    weight: dict = {}
    count: dict = {}  # weighed paragraphs per element, for their mean length
    stamps: dict = {}  # bylines with a clock time per element
    first = heading_at or 0
    heading = set(blocks[first].owner.iter()) if heading_at is not None and blocks[first].owner is not None else ()
    for b, it in zip(blocks[first:], items[first:]):
        if b.owner is None or b.owner in heading:
            continue
        if it.link_density < SETTINGS.extract.link_line_density and L.is_stamp(it.f):
            for el in _up(b.owner):
                stamps[el] = stamps.get(el, 0) + 1
        if not counts(it):
            continue
        w = L.cjk_count(it.f)
        for el in _up(b.owner):
            weight[el] = weight.get(el, 0) + w
            count[el] = count.get(el, 0) + 1
    _discount_threads(weight, count, stamps)
    if heading_at and not weight:  # no prose after that heading: it was not the article's
        return _main_items(root, blocks, items, None, counts)
    node = None
    if heading_at is not None and blocks[heading_at].owner is not None:
        node = next((a for a in blocks[heading_at].owner.iterancestors() if a in weight), None)
    if node is None:
        node = root.find("body")
        if node is None or node not in weight:
            node = root
    if node not in weight:
        return items[first:]
    total = weight[node]
    beside: list = []  # lone paragraphs next to the block descended into (a lead, a coda)
    path: set = set()  # the elements descended through
    while True:
        kids = [c for c in node if weight.get(c, 0) > 0]
        if not kids:
            break
        best = max(kids, key=lambda c: weight[c])
        if weight[best] < SETTINGS.extract.main_block_share * total and not _dominant(best, kids, weight, count, total):
            break
        beside += _lone_paragraphs_beside(best, weight)
        path.add(node)
        node = best
    # 【篇N】 markers that sit beside the chosen block still belong to the content
    while node.getparent() is not None and _marker_outside(node):
        node = node.getparent()
    inside = set(node.iter()).union(*(el.iter() for el in beside))
    chosen = [i for i in range(first, len(blocks)) if blocks[i].owner is not None and blocks[i].owner in inside]
    if chosen:
        chosen = _loose_text_beside(blocks, items, chosen, path, first, counts)
    return [items[i] for i in chosen]


def _loose_text_beside(blocks, items, chosen: list[int], path: set, first: int, counts) -> list[int]:
    """Add paragraphs of loose text (owned by an element descended through, e.g. text
    right after an <hr>) that directly precede or follow the chosen blocks."""
    def loose(j: int) -> bool:
        return blocks[j].owner in path and counts(items[j]) and not L.is_cut_off(items[j].f)

    lo, hi = chosen[0], chosen[-1]
    before, after = [], []
    j = lo - 1
    while j >= first and (loose(j) or not L.cjk_count(items[j].f)):
        if loose(j):
            before.append(j)
        j -= 1
    j = hi + 1
    while j < len(blocks) and (loose(j) or not L.cjk_count(items[j].f)):
        if loose(j):
            after.append(j)
        j += 1
    return before[::-1] + chosen + after


def _up(el):
    """The element and its ancestors."""
    while el is not None:
        yield el
        el = el.getparent()


def _discount_threads(weight: dict, count: dict, stamps: dict) -> None:
    """Reader comments beside an article weigh nothing.

    A thread is an element whose paragraphs come under their own dated bylines (a few
    paragraphs per byline at most). Where a thread's parent also holds an article (prose
    outside the thread with at most a byline or two of its own), the thread's weight is
    taken off its ancestors. A page that is only a thread (a forum) keeps its weight."""
    def thread(el) -> bool:
        cfg = SETTINGS.extract
        return (stamps.get(el, 0) >= cfg.thread_min_stamps
                and stamps[el] * cfg.thread_paragraphs_per_stamp >= count.get(el, 0))

    def beside_article(el) -> bool:
        parent = el.getparent()
        return (parent is not None and weight.get(parent, 0) - weight[el] >= SETTINGS.extract.thread_article_cjk
                and stamps.get(parent, 0) - stamps[el] < SETTINGS.extract.thread_min_stamps)

    found = [el for el in weight if thread(el) and beside_article(el)]
    for el in found:
        if any(a in found for a in el.iterancestors()):
            continue
        w, n = weight[el], count[el]
        for a in el.iterancestors():
            weight[a] -= w
            count[a] -= n
        for d in el.iter():
            weight.pop(d, None)


def _lone_paragraphs_beside(el, weight: dict) -> list:
    """Siblings right before and after `el` that are each one prose paragraph and nothing
    else (a lead paragraph above the article's text block), up to the first that is not.
    A paragraph cut off with "…" is a summary box, not a lead."""
    out = []
    for step in ("getprevious", "getnext"):
        sib = getattr(el, step)()
        while sib is not None:
            content = sib.text_content() if isinstance(sib.tag, str) else ""
            text = L.cjk_count(content)
            if text:
                if weight.get(sib, 0) < SETTINGS.extract.lone_paragraph_share * text or L.is_cut_off(content):
                    break
                out.append(sib)
            sib = getattr(sib, step)()
    return out


def _dominant(best, kids: list, weight: dict, count: dict, total: int) -> bool:
    """The best child holds most of the prose and the rest is chatter: short paragraphs
    (comments, blurbs) next to the report's long ones."""
    if weight[best] < SETTINGS.extract.dominant_share * total:
        return False
    mean = weight[best] / count[best]
    others = [c for c in kids if c is not best]
    rest_w = sum(weight[c] for c in others)
    rest_n = sum(count[c] for c in others)
    return rest_n > 0 and rest_w / rest_n < SETTINGS.extract.chatter_mean_ratio * mean


def _marker_outside(node) -> bool:
    parent = node.getparent()
    for sib in parent:
        if sib is node or not isinstance(sib.tag, str):
            continue
        text = L.fold(sib.text_content()[:200])
        if L.MARKER_RE.match(text.strip()):
            return True
    return False
