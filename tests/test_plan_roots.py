"""The roots of a run (`sources.plan_roots`): every path given ends as a root or a skip
with its reason, a path inside a folder also given is read from the folder, and a shell
glob of tens of thousands of files is planned in time linear in their number."""
from __future__ import annotations

import os

from indexer.extract.sources import plan_roots


def _reasons(skips) -> dict[str, str]:
    return {os.path.basename(s.source.rstrip("/")): s.reason for s in skips}


def test_paths_inside_a_folder_given_are_read_from_the_folder(tmp_path):
    top = tmp_path / "archive"
    (top / "sub").mkdir(parents=True)
    (top / "sub" / "a.html").write_text("<p>甲</p>", encoding="utf-8")
    (top / "b.html").write_text("<p>乙</p>", encoding="utf-8")
    outside = tmp_path / "c.html"
    outside.write_text("<p>丙</p>", encoding="utf-8")
    given = [top / "sub" / "a.html", top / "sub", top, top, outside, tmp_path / "missing.html"]
    roots, skips = plan_roots(given)
    assert [os.path.basename(r.given) for r in roots] == ["archive", "c.html"]
    reasons = _reasons(skips)
    # a.html lies in both sub and archive: the one given first names where it is read
    assert reasons["a.html"] == f"duplicate_input: inside {top / 'sub'}, read from there"
    assert reasons["sub"] == f"duplicate_input: inside {top}, read from there"
    assert reasons["archive"].startswith("duplicate_input: the same as")
    assert reasons["missing.html"].startswith("unreadable")
    assert len(roots) + len(skips) == len(given)  # nothing lost without a record


def test_many_files_are_planned_in_linear_time(tmp_path, monkeypatch):
    folder = tmp_path / "pages"
    folder.mkdir()
    files = []
    for i in range(3000):
        path = folder / f"p{i:05d}.html"
        path.write_bytes(b"<p>x</p>")
        files.append(path)
    calls = 0
    real_isdir = os.path.isdir

    def counting_isdir(path):
        nonlocal calls
        calls += 1
        return real_isdir(path)

    monkeypatch.setattr(os.path, "isdir", counting_isdir)
    roots, skips = plan_roots(files)
    assert len(roots) == 3000 and not skips
    assert len({r.identity for r in roots}) == 3000
    # a stat or two per path, not one per pair of paths (9 million here)
    assert calls <= 2 * len(files), calls
    calls = 0
    roots, skips = plan_roots([*files, folder])  # the folder, given last, holds them all
    assert [r.given for r in roots] == [str(folder)]
    assert len(skips) == 3000 and all("inside" in s.reason for s in skips)
    assert calls <= 2 * (len(files) + 1), calls
