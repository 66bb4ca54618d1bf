"""Shared fixtures. Tests that need ../shared skip when it is absent."""
from __future__ import annotations

from pathlib import Path

import pytest
from cluster_fixtures import cluster_factory, sphinx_cluster  # noqa: F401  (Sphinx cluster tests)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpus" / "dev" / "gold.jsonl").is_file():
        pytest.skip("../shared is not present: corpus checks skipped")
    return SHARED


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    return SAMPLES
