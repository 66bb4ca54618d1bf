"""Search answers of a fixed query mix, captured so that changes to storage and execution
can be checked against them ("answers unchanged": same ids in the same order, same
totals and facet counts, same snippets and hit sections, same reports and
more-like-this lists).

Two corpora:

- ``builtin``: the reports extracted from ``samples/`` (``tests/data/answers_corpus.jsonl``,
  committed, so extraction changes do not move it) plus a few hand-made reports with
  the cases snippets and offsets must survive (line breaks, width folding, expanding and
  vanishing characters, astral characters, repeated phrases, markup to escape);
- ``dev``: the gold reports of ``../shared/corpus/dev`` (all pages), with the corpus'
  own search judgments as part of the query mix (skipped without ../shared).

Both are indexed from reports (no extraction), so only search-side changes move them.
Regenerate after an intended change of answers with ``scripts/search_expectation``.
"""
from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

from test_search_support import make_report, write_jsonl

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CORPUS = DATA / "answers_corpus.jsonl"
SHARED = HERE.parent.parent / "shared"
DEV_GOLD = SHARED / "corpus" / "dev" / "gold.jsonl"
DEV_QRELS = SHARED / "corpus" / "dev" / "qrels.jsonl"
SNIPPET_HITS = 3  # hits per response whose snippet is recorded


def expectation_path(name: str) -> Path:
    return DATA / f"answers_{name}.json"


def edge_reports() -> list[dict]:
    """Hand-made reports for the cases snippet windows and offset maps must survive."""
    filler = "各级党组织认真落实主体责任，持续加强阵地建设和队伍建设，" * 6
    return [
        make_report("edge-break", "某村工作总结", [
            ("前言", "村两委加强意识\n形态工作，<b>宣传栏</b>更新及时。"),
            ("工作做法", filler + "意识形态工作" + filler),
            ("结语", "ＡＢＣ公司参与共建，意识 形态 工作有序推进。")], unit_type="村社区", year=2020),
        make_report("edge-expand", "某镇專題報告", [
            ("前言", "㈠加强意识形态工作㈡落实责任制\u200b意识形态\u00ad工作。"),
            ("存在问题", filler + "㈢意识形态领域风险" + "𠀀𠀁意识形态" + filler),
            ("下步打算", "意识意识意识意识形态形态。" + filler)], script="mixed", year=2022,
            unit_type="乡镇街道", genre="专题报告"),
        make_report("edge-trad", "某鎮2021年意識形態工作總結", [
            ("前言", "今年以來，我鎮認真落實意識形態工作責任制。"),
            ("工作做法", "組織幹部到清華大學參加培訓，開展兩學一做學習教育。" + filler),
            ("存在问题", "網絡輿情處置能力不足。")], script="hant", unit_name="某鎮", year=2021),
        make_report("edge-dup", "某村工作总结（转载）", [
            ("前言", "村两委加强意识\n形态工作，<b>宣传栏</b>更新及时。"),
            ("工作做法", filler + "意识形态工作" + filler),
            ("结语", "ＡＢＣ公司参与共建，意识 形态 工作有序推进。")], unit_type="村社区", year=2020,
            site="d.example", source="pages/edge-dup-copy.html"),
    ]


def builtin_reports() -> list[dict]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("type") == "report"] + edge_reports()


def gold_reports(gold: Path, pages: int | None = None) -> list[dict]:
    """The reports of a generated corpus' gold (its first `pages` pages), shaped like
    `Report.to_json()`."""
    reports = []
    with open(gold, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if pages is not None and n >= pages:
                break
            page = json.loads(line)
            for part, r in enumerate(page.get("reports", []), 1):
                reports.append({
                    "type": "report", "report_id": r["report_id"], "source": page["path"], "part": part,
                    "url": page.get("url"), "site": page.get("site"), "page_title": page.get("page_title"),
                    "title": r.get("title"), "unit_name": r.get("unit_name"), "unit_type": r.get("unit_type"),
                    "year": r.get("year"), "genre": r.get("genre"), "publish_date": page.get("publish_date"),
                    "script": page.get("script") or "hans", "encoding": page.get("encoding") or "utf-8",
                    "sections": [{"heading": s["heading"], "level": 1, "kind": s["kind"], "text": s["text"]}
                                 for s in r["sections"]],
                    "body": r["body"], "content_hash": hashlib.sha1(r["body"].encode()).hexdigest(),
                    "warnings": [],
                })
    return reports


def dev_reports() -> list[dict]:
    return gold_reports(DEV_GOLD)


def reports_for(name: str) -> list[dict]:
    return builtin_reports() if name == "builtin" else dev_reports()


def build(tmp: Path, name: str) -> Path:
    from indexer.search import build as builder

    root = tmp / f"answers-{name}"
    src = write_jsonl(tmp / f"answers-{name}.jsonl", reports_for(name))
    builder.build([str(src)], root, jobs=0)
    return root


# ---------------------------------------------------------------- the query mix


def query_mix(reports: list[dict], seed: int, n: int) -> list[dict]:
    """Requests drawn (seeded) from the reports themselves: phrases of several lengths,
    in the other script too, AND / OR / NOT, title: and unit:, year ranges, facet and
    section filters, empty queries with filters, date sort, paging, collapse on and off."""
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    rnd = random.Random(seed)
    values = {f: sorted({str(r[f]) for r in reports if r.get(f) not in (None, "")})
              for f in ("unit_type", "year", "genre", "site", "script")}
    kinds = ["总体情况", "工作做法", "存在问题", "下步打算", "前言", "结语"]

    def cut(k: int) -> str:
        body = "".join((rnd.choice(reports).get("body") or "").split()) or "工作"
        at = rnd.randrange(max(1, len(body) - k))
        return body[at:at + k]

    out: list[dict] = []
    shapes = ["phrase2", "phrase4", "phrase9", "trad", "multi", "or_not", "title", "unit", "section",
              "filtered", "facets_only", "date_sort", "page2", "single", "years", "quoted"]
    for i in range(n):
        shape = shapes[i % len(shapes)]
        req: dict = {"collapse": bool(i % 3)}
        if shape == "phrase2":
            req["q"] = cut(2)
        elif shape == "phrase4":
            req["q"] = cut(4)
        elif shape == "phrase9":
            req["q"] = cut(9)
        elif shape == "trad":
            req["q"] = s2t.convert(cut(5))
        elif shape == "multi":
            req["q"] = f"{cut(3)} {cut(2)}"
        elif shape == "or_not":
            req["q"] = f"{cut(3)} OR {cut(4)} -{cut(2)}"
        elif shape == "title":
            title = (rnd.choice(reports).get("title") or "工作总结")
            req["q"] = "title:" + title[rnd.randrange(max(1, len(title) - 4)):][:4]
        elif shape == "unit":
            unit = rnd.choice(reports).get("unit_name") or "局"
            req["q"] = "unit:" + unit[:3]
        elif shape == "section":
            req["q"] = cut(3)
            req["section"] = rnd.sample(kinds, rnd.randint(1, 2))
        elif shape == "filtered":
            req["q"] = cut(2)
            for f in ("unit_type", "year", "genre"):
                if values[f] and rnd.random() < 0.6:
                    req[f] = [rnd.choice(values[f])]
        elif shape == "facets_only":
            for f in ("unit_type", "script", "site"):
                if values[f] and rnd.random() < 0.5:
                    req[f] = rnd.sample(values[f], min(2, len(values[f])))
            if rnd.random() < 0.5:
                req["section"] = [rnd.choice(kinds)]
        elif shape == "date_sort":
            req["q"] = cut(2)
            req["sort"] = "date"
        elif shape == "page2":
            req["q"] = cut(2)
            req["page"] = 2
            req["per_page"] = 5
        elif shape == "single":
            req["q"] = cut(1)
        elif shape == "years":
            lo = rnd.randint(2015, 2023)
            req["q"] = f"{cut(2)} year:{lo}..{lo + rnd.randint(0, 3)}"
        else:
            req["q"] = '"' + cut(3) + " " + cut(2) + '"'
        out.append(req)
    return out


def fixed_queries() -> list[dict]:
    """Hand-written requests for the cases the drawn mix may miss."""
    qs = ["意识形态", "意識形態", "意识形态 工作", "意识形态工作", "清华大学", "宣传栏", "abc公司",
          "意识意识", "意识意识形态", "形态形态", "㈠", "𠀀𠀁", "风险隐患", "大学清华", "主体责任 OR 阵地建设",
          "工作 -意识形态", "title:意识形态", "title:述职报告", "unit:局", "year:2021..2023",
          '"主体 责任"', "的", "一", "！！", ""]
    out = [{"q": q, "collapse": bool(i % 2)} for i, q in enumerate(qs)]
    out += [{"q": "意识形态", "section": ["存在问题"]}, {"q": "工作", "section": ["工作做法", "下步打算"]},
            {"q": "意识形态", "per_page": 100, "collapse": False}, {"q": "工作", "sort": "date", "page": 3}]
    return out


def requests_for(name: str, reports: list[dict]) -> list[tuple[dict, int]]:
    """(request, number of hits whose snippets are recorded)."""
    reqs = [(r, SNIPPET_HITS) for r in fixed_queries() + query_mix(reports, seed=12, n=160 if name == "dev" else 96)]
    if name == "dev":  # the corpus' judgments: ids, totals and facets (their snippets are like the mix's)
        with open(DEV_QRELS, encoding="utf-8") as fh:
            for line in fh:
                q = json.loads(line)
                filters = {k: [str(v)] for k, v in q.get("filters", {}).items()}
                reqs.append(({"q": q["query"], "per_page": 20, "collapse": False, **filters}, 0))
    return reqs


# ---------------------------------------------------------------- capturing answers


def answer(index, req: dict, snippets: int = SNIPPET_HITS) -> dict:
    from indexer.search import SearchRequest, search

    resp = search(index, SearchRequest(**req))
    return {
        "total": resp.total, "relaxed": resp.relaxed, "understood": resp.understood,
        "ids": [h.report_id for h in resp.results],
        "facets": {f: [[v.value, v.count] for v in vals] for f, vals in sorted(resp.facets.items())},
        "hits": [{"id": h.report_id, "sections": h.sections, "duplicates": h.duplicates,
                  "snippet": h.snippet} for h in resp.results[:snippets]],
    }


def report_digest(report: dict) -> str:
    return hashlib.sha256(json.dumps(report, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def capture(index, name: str, reports: list[dict]) -> dict:
    from indexer.search import get_report, more_like_this

    reqs = requests_for(name, reports)
    ids = sorted({r["report_id"] for r in reports})
    mlt_ids = ids[:: max(1, len(ids) // 12)]
    return {
        "corpus": name,
        "queries": [{"request": req, "snippets": n, "answer": answer(index, req, n)} for req, n in reqs],
        "reports": {rid: report_digest(get_report(index, rid)) for rid in ids},
        "more_like_this": {rid: [h.report_id for h in more_like_this(index, rid, 10)] for rid in mlt_ids},
    }


def compare(expected: dict, index) -> list[str]:
    """Differences between the stored expectation and the answers of `index`."""
    from indexer.search import get_report, more_like_this

    problems = []
    for item in expected["queries"]:
        got = answer(index, item["request"], item["snippets"])
        want = item["answer"]
        for key in ("total", "relaxed", "ids", "facets", "hits"):
            if got[key] != want[key]:
                problems.append(f"{item['request']}: {key} {json.dumps(got[key], ensure_ascii=False)[:600]} "
                                f"!= expected {json.dumps(want[key], ensure_ascii=False)[:600]}")
    for rid, digest in expected["reports"].items():
        got_report = get_report(index, rid)
        if got_report is None or report_digest(got_report) != digest:
            problems.append(f"get_report({rid}) changed")
    for rid, want_ids in expected["more_like_this"].items():
        got_ids = [h.report_id for h in more_like_this(index, rid, 10)]
        if got_ids != want_ids:
            problems.append(f"more_like_this({rid}): {got_ids} != expected {want_ids}")
    return problems


def dump(data: dict) -> str:
    """JSON with one line per request (readable diffs when answers change on purpose)."""
    lines = ["{", f'"corpus": {json.dumps(data["corpus"])},', '"queries": [']
    lines += [json.dumps(q, ensure_ascii=False, sort_keys=True) + ("," if i < len(data["queries"]) - 1 else "")
              for i, q in enumerate(data["queries"])]
    lines += ["],", f'"reports": {json.dumps(data["reports"], sort_keys=True)},',
              f'"more_like_this": {json.dumps(data["more_like_this"], sort_keys=True)}', "}"]
    return "\n".join(lines) + "\n"
