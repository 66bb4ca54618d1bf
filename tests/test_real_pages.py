"""Extraction on real Chinese web pages with hand-made gold main text (../shared/real),
scored by ../shared/tools/score_real.py exactly as a user would run it; skipped when
../shared is absent. Thresholds are issue 9's."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def real_scores(shared_dir: Path, tmp_path_factory) -> dict:
    real = shared_dir / "real"
    if not (real / "index.jsonl").is_file():
        pytest.skip("../shared/real is not present")
    out = tmp_path_factory.mktemp("real") / "real.jsonl"
    proc = subprocess.run([sys.executable, "-c", "from indexer.cli import main; main()", "extract",
                           str(real / "pages"), "--out", str(out), "--jobs", "2"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    scored = subprocess.run([sys.executable, str(shared_dir / "tools" / "score_real.py"), "--real", str(real),
                             "--pred", str(out), "--worst", "10"], capture_output=True, text=True, check=True)
    head, _, worst = scored.stdout.partition("\n")
    return {**json.loads(head), "worst": worst}


def test_real_pages_body_f1_mean(real_scores):
    assert real_scores["body_f1_mean"] >= 0.95, real_scores


def test_real_pages_body_f1_median(real_scores):
    assert real_scores["body_f1_median"] >= 0.98, real_scores


def test_every_real_page_gives_a_report(real_scores):
    assert real_scores["pages_without_report"] == 0, real_scores["worst"]
