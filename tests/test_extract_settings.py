"""Extraction thresholds live in ExtractSettings and are overridden by DANGAN_<FIELD>."""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

from indexer.settings import ExtractSettings, Settings, load


def test_field_names_are_unique_across_groups():
    settings = Settings()
    names = [f.name for group in dataclasses.fields(settings) for f in dataclasses.fields(getattr(settings, group.name))]
    assert len(names) == len(set(names)) and "min_body_cjk" in names


def test_environment_overrides_an_extraction_threshold():
    settings = load({"DANGAN_MIN_BODY_CJK": "500", "DANGAN_SCRIPT_MIXED_SHARE": "0.1"})
    assert settings.extract.min_body_cjk == 500 and settings.extract.script_mixed_share == 0.1
    assert ExtractSettings().min_body_cjk == 60


def test_the_override_changes_what_extraction_keeps(tmp_path):
    page = tmp_path / "p.txt"
    page.write_text("某局工作总结\n" + "今年以来，我局认真落实意识形态工作责任制，牢牢掌握意识形态工作领导权，现将有关情况报告如下。" * 2,
                    encoding="utf-8")
    code = ("import json, sys; from indexer.extract.sources import iter_raw_pages; "
            "from indexer.extract.pipeline import extract_page; "
            "r = extract_page(next(iter_raw_pages([sys.argv[1]]))); "
            "print(json.dumps(getattr(r, 'reason', None)))")

    def run(env: dict) -> str | None:
        out = subprocess.run([sys.executable, "-c", code, str(page)], capture_output=True, text=True, check=True,
                             env={**os.environ, **env})
        return json.loads(out.stdout)

    assert run({}) is None  # a report
    assert run({"DANGAN_MIN_BODY_CJK": "1000"}).startswith("no_content")
