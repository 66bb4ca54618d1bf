"""`dangan extract` as a user runs it: a real subprocess, real files, exit codes, JSONL."""
from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPORT = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
    "<div class=\"nav\">首页 | 工作总结 | 工作报告</div><h1>{title}</h1><div class=\"content\">"
    "<p>今年以来，局党组认真落实意识形态工作责任制，牢牢把握意识形态工作的领导权和主动权，"
    "把意识形态工作与业务工作同部署、同落实、同检查、同考核。现将有关情况报告如下：</p>"
    "<p>一、主要工作</p><p>局党组全年专题研究意识形态工作4次，开展理论学习中心组学习12次，"
    "组织干部职工参加专题培训，切实提高了干部职工的思想政治素质。</p>"
    "<p>二、存在的问题</p><p>理论学习的深度还不够，宣传阵地管理还需进一步加强。</p>"
    "<p>三、下一步打算</p><p>继续加强理论武装，强化阵地管理，推动意识形态工作再上新台阶。</p>"
    "{extra}</div><div class=\"foot\">Copyright 2024 某某网 版权所有 京ICP备00000000号</div></body></html>"
)


def page(title: str = "青松县水利局2024年意识形态工作总结", extra: str = "") -> bytes:
    return REPORT.format(title=title, extra=extra).encode("utf-8")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from indexer.cli import main; main()", "extract", *args],
        capture_output=True, text=True, cwd=cwd, timeout=600,
    )


def records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A folder of inputs that must each end as reports or a skip record."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "empty.html").write_bytes(b"")
    (root / "binary.html").write_bytes(random.Random(1).randbytes(30000))
    deep = "<div>" * 100_000 + "<p>深层嵌套的页面内容</p>" + "</div>" * 100_000
    (root / "deep.html").write_bytes(f"<html><body>{deep}</body></html>".encode())
    # 5 MB: one report whose body is long (the page is big, not broken)
    filler = "<p>全年组织开展理论学习和专题培训，干部职工的思想政治素质得到提高。</p>" * 50_000
    (root / "huge.html").write_bytes(page(extra=filler))
    assert (root / "huge.html").stat().st_size > 5_000_000
    (root / "chrome_only.html").write_bytes(
        "<html><body><div>首页 | 工作总结 | 联系我们</div><div>Copyright © 2024 版权所有</div></body></html>".encode())
    (root / "ok.html").write_bytes(page())
    (root / "gbk.htm").write_bytes(page("红岭镇2023年意识形态工作情况报告").decode().replace(
        'charset="utf-8"', 'charset="gbk"').encode("gbk"))
    return root


def test_every_hostile_input_ends_as_reports_or_a_skip(hostile):
    proc = run(str(hostile), "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    rows = records(proc.stdout)
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        by_file.setdefault(Path(row["source"]).name, []).append(row)
    assert set(by_file) == {p.name for p in hostile.iterdir()}
    kinds = {name: {r["type"] for r in rs} for name, rs in by_file.items()}
    for name in ("empty.html", "binary.html", "chrome_only.html"):
        assert kinds[name] == {"skipped"}, (name, by_file[name])
    assert by_file["empty.html"][0]["reason"] == "empty"
    assert by_file["binary.html"][0]["reason"].startswith("binary")
    for name in ("ok.html", "gbk.htm", "huge.html"):
        assert kinds[name] == {"report"}, (name, by_file[name])
    assert by_file["gbk.htm"][0]["title"] == "红岭镇2023年意识形态工作情况报告"
    assert by_file["gbk.htm"][0]["encoding"] == "gb18030"
    assert len(by_file["huge.html"][0]["body"]) > 1_000_000
    # deep nesting: reports or a skip, but never a crash (RecursionError) of the run
    assert len(by_file["deep.html"]) >= 1
    # the summary on stderr counts files, reports and skips by reason
    assert "7 files" in proc.stderr and "empty: 1" in proc.stderr and "binary: 1" in proc.stderr


def test_output_is_deterministic_and_independent_of_jobs(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    for i in range(12):
        (root / f"p{i:02d}.html").write_bytes(page(f"青松县第{i}中学2023年意识形态工作总结"))
    one = run(str(root), "--jobs", "1")
    two = run(str(root), "--jobs", "2")
    again = run(str(root), "--jobs", "2")
    assert one.returncode == two.returncode == again.returncode == 0
    assert one.stdout == two.stdout == again.stdout
    rows = records(one.stdout)
    assert [r["source"] for r in rows] == [str(root / f"p{i:02d}.html") for i in range(12)]
    assert len({r["report_id"] for r in rows}) == 12


def test_report_ids_do_not_depend_on_the_archive_location(tmp_path):
    ids = []
    for where in ("a", "b/c"):
        root = tmp_path / where / "site"
        root.mkdir(parents=True)
        (root / "p.html").write_bytes(page())
        ids.append(records(run(str(root)).stdout)[0]["report_id"])
    assert ids[0] == ids[1]


def test_out_file_is_written_atomically(tmp_path):
    src = tmp_path / "p.html"
    src.write_bytes(page())
    out = tmp_path / "out.jsonl"
    proc = run(str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    rows = records(out.read_text(encoding="utf-8"))
    assert rows[0]["type"] == "report" and rows[0]["source"] == str(src)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".dangan")] == []


def test_unwritable_output_exits_1_and_leaves_nothing(tmp_path):
    src = tmp_path / "p.html"
    src.write_bytes(page())
    proc = run(str(src), "--out", str(tmp_path / "no" / "such" / "dir" / "out.jsonl"))
    assert proc.returncode == 1
    assert "cannot write" in proc.stderr


def test_interrupted_run_keeps_the_previous_output(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    for i in range(400):
        (root / f"p{i:03d}.html").write_bytes(page(f"青松县第{i}中学2023年意识形态工作总结"))
    target = tmp_path / "out.jsonl"
    target.write_text("previous\n")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from indexer.cli import main; main()", "extract", str(root),
         "--out", str(target), "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # The temporary file appears when the run starts; interrupt the run while it works.
    for _ in range(600):
        if any(p.name.startswith(".dangan-extract-") for p in tmp_path.iterdir()) or proc.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before it could be interrupted")
    assert proc.returncode != 0
    assert target.read_text() == "previous\n"  # not truncated, not half-written
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".dangan-extract-")]


@pytest.mark.parametrize("args", [[], ["/no/such/path.html"], ["--jobs", "0", "."], ["--bogus", "."]])
def test_usage_errors_exit_2(args, tmp_path):
    proc = run(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == ""
