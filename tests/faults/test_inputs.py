"""One bad input never aborts a run, and no input vanishes without a record: WARC
records without a URL or with javascript:/data: URLs, a .warc.gz cut in half, file
names that are not UTF-8, symlinks out of the archive and in loops, re-crawled URLs, and
more than 20 skips listed in full."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from faultkit import dangan, fact, jsonl, page, warc

BAD_NAME = os.fsdecode(b"bad-\xff\xfe-name.html")  # not UTF-8: a lone surrogate in Python


@pytest.fixture(scope="module")
def hostile_inputs(tmp_path_factory) -> tuple[Path, Path]:
    top = tmp_path_factory.mktemp("inputs")
    outside = top / "secret.html"
    outside.write_bytes(page(99))  # must never be read through the archive
    root = top / "archive"
    root.mkdir()
    (root / BAD_NAME).write_bytes(page(1))
    warc(root / "nouri.warc", [(None, page(2), None), ("http://ok.example/a.html", page(3), None)], gz=False)
    warc(root / "schemes.warc.gz", [("javascript:void(0)", page(4), None), ("data:text/html,x", page(5), None),
                                    ("https://ok.example/b.html", page(6), None)])
    whole = warc(top / "twenty.warc.gz", [(f"http://cut.example/{i}.html", page(20 + i), None) for i in range(20)])
    (root / "half.warc.gz").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    # A re-crawl: the later capture comes first in the file and must win.
    warc(root / "recrawl.warc.gz", [("http://re.example/p.html", page(50), "2024-05-01T00:00:00Z"),
                                    ("http://re.example/p.html", page(51), "2021-01-01T00:00:00Z")])
    os.symlink(outside, root / "escape.html")
    os.symlink(root / "loop-b.html", root / "loop-a.html")
    os.symlink(root / "loop-a.html", root / "loop-b.html")
    os.symlink(top, root / "linked-folder")
    for i in range(25):
        (root / f"empty-{i:02d}.html").write_bytes(b"")
    return top, root


def test_extract_accounts_for_every_input(hostile_inputs):
    _top, root = hostile_inputs
    proc = dangan("extract", str(root), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    records = jsonl(proc.stdout)
    by_source: dict[str, list[dict]] = {}
    for rec in records:
        by_source.setdefault(rec["source"].split("!")[0], []).append(rec)

    def kinds(name):
        return [(r["type"], r.get("reason", "").split(":")[0]) for r in by_source[str(root / name)]]

    # every file of the folder (symlinks included) has records
    assert {Path(s).name for s in by_source} == {os.fsencode(n).decode("utf-8", "backslashreplace")
                                                 for n in os.listdir(root)}
    bad = [s for s in by_source if "bad-" in s]
    assert bad == [str(root / "bad-\\xff\\xfe-name.html")] and by_source[bad[0]][0]["type"] == "report"
    assert kinds("nouri.warc") == [("skipped", "bad_record"), ("report", "")]
    assert kinds("schemes.warc.gz") == [("skipped", "unsupported")] * 2 + [("report", "")]
    half = kinds("half.warc.gz")
    assert 0 < half.count(("report", "")) < 20 and half[-1][1] in ("truncated", "bad_archive")
    recrawl = by_source[str(root / "recrawl.warc.gz")]
    assert [r["type"] for r in recrawl] == ["report", "skipped"]
    assert fact(50) in recrawl[0]["body"] and recrawl[1]["reason"].startswith("superseded")
    assert kinds("escape.html") == [("skipped", "outside_root")]
    assert kinds("loop-a.html") == [("skipped", "unreadable")]
    assert kinds("linked-folder") == [("skipped", "unsupported")]
    assert sum(1 for r in records if r["type"] == "report" and fact(99) in r["body"]) == 0
    assert len({r["report_id"] for r in records if r["type"] == "report"}) == \
        sum(1 for r in records if r["type"] == "report")


def test_index_build_lists_every_skip(hostile_inputs, tmp_path):
    _top, root = hostile_inputs
    index = tmp_path / "ix"
    proc = dangan("index", "build", str(root), "--index", str(index), "--jobs", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    skipped = summary["skipped"]
    assert len(skipped) == summary["skipped_count"] > 20  # the full list, not the first 20
    assert summary["skipped_by_reason"]["empty"] == 25
    listed = jsonl(Path(summary["skipped_file"]).read_text(encoding="utf-8"))
    assert [(s["source"], s["reason"]) for s in listed] == [(s["source"], s["reason"]) for s in skipped]
    # the text summary: counts by reason and the file holding the list
    from click.testing import CliRunner

    from indexer.cli import _register, cli

    _register()
    result = CliRunner().invoke(cli, ["index", "update", str(root), "--index", str(index), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "empty 25" in result.output and "every skip with its reason: " in result.output
