from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
REPO_DIR = TESTS_DIR.parent
CORPUS_DIR = TESTS_DIR / "corpus"
"""A vendored copy of ../shared/corpus (real public outputs; see its SOURCES.md)."""
HOSTS_DIR = TESTS_DIR / "fixtures" / "hosts"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS_DIR


@pytest.fixture(scope="session")
def hosts_dir() -> Path:
    return HOSTS_DIR
