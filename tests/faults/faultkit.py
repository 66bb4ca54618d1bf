"""Helpers of the fault tests: real archives on disk, the real `dangan` CLI in a
subprocess, and a look at the process table for workers left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

REPORT = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body>"
    "<div class=\"nav\">首页 | 工作总结 | 工作报告</div><h1>{title}</h1><div class=\"content\">"
    "<p>今年以来，{unit}认真落实意识形态工作责任制，牢牢把握意识形态工作的领导权和主动权，"
    "把意识形态工作与业务工作同部署、同落实、同检查、同考核。现将有关情况报告如下：</p>"
    "<p>一、主要工作</p><p>{fact}全年专题研究意识形态工作4次，开展理论学习中心组学习12次，"
    "组织干部职工参加专题培训，切实提高了干部职工的思想政治素质。</p>"
    "<p>二、存在的问题</p><p>理论学习的深度还不够，宣传阵地管理还需进一步加强。</p>"
    "<p>三、下一步打算</p><p>继续加强理论武装，强化阵地管理，推动意识形态工作再上新台阶。</p>"
    "{extra}</div><div class=\"foot\">Copyright 2024 某某网 版权所有</div></body></html>"
)
UNITS = ["青松县水利局", "红岭镇人民政府", "东湖街道办事处", "白石乡党委", "南山县教育局",
         "西河镇党委", "北岭村委会", "临江区卫生健康局", "金水县财政局", "柳河镇人民政府"]
# Distinct syllables for facts no other page contains (a search finds exactly one page).
_SYL = "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉"


def fact(n: int) -> str:
    return "编号" + _SYL[n // 20 % 20] + _SYL[n % 20] + "专项行动"


def page(n: int, extra: str = "", unit: str | None = None) -> bytes:
    unit = unit or UNITS[n % len(UNITS)]
    title = f"{unit}{2015 + n % 9}年意识形态工作总结"
    return REPORT.format(title=title, unit=unit, fact=fact(n) + "。", extra=extra).encode("utf-8")


def write_pages(folder: Path, numbers, name: str = "p{n:03d}.html") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in numbers:
        (folder / name.format(n=n)).write_bytes(page(n))
    return folder


def attribute_bomb(count: int = 200_000) -> bytes:
    """One <div> with `count` attributes: the HTML parser takes minutes on it."""
    attrs = " ".join(f'a{i}="{i}"' for i in range(count))
    return f"<html><head><title>炸弹</title></head><body><div {attrs}>正文</div></body></html>".encode()


def dangan(*args: str, env: dict | None = None, timeout: float = 600, cwd: Path | None = None
           ) -> subprocess.CompletedProcess:
    """The CLI as operators run it, in a fresh interpreter."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-c", "from indexer.cli import main; main()", *args],
                          capture_output=True, text=True, env=full_env, timeout=timeout, cwd=cwd)


def start(*args: str, env: dict | None = None) -> subprocess.Popen:
    full_env = {**os.environ, **(env or {})}
    return subprocess.Popen([sys.executable, "-c", "from indexer.cli import main; main()", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env)


def processes_with(marker: str) -> list[int]:
    """Pids of live processes whose command line mentions `marker` (forked workers keep
    their parent's command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode("utf-8", "replace")
            state = next((line.split()[1] for line in (entry / "status").read_text().splitlines()
                          if line.startswith("State:")), "")
        except (OSError, StopIteration, IndexError):
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def wait_gone(marker: str, seconds: float = 10.0) -> list[int]:
    """Processes mentioning `marker` still alive after `seconds` (killed afterwards, so a
    failing test leaves nothing behind)."""
    deadline = time.monotonic() + seconds
    while (left := processes_with(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


def search_ids(index: Path, q: str = "") -> list[str]:
    from indexer.search import SearchRequest, open_index, search

    with open_index(index) as ix:
        resp = search(ix, SearchRequest(q=q, per_page=100, collapse=False))
    return sorted(h.report_id for h in resp.results)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]
