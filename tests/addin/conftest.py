"""Fixtures of the add-in tests: the built add-in (addin/dist, which `make
test` builds first) and Node to run its on-send script."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

DIST = PROJECT_ROOT / "addin" / "dist"


@pytest.fixture(scope="session")
def addin_dist() -> Path:
    """addin/dist, built. A missing build is a failure, not a skip: `make
    test` builds it, and a suite that silently skipped the add-in would
    pass without testing it."""
    if not (DIST / "taskpane.html").is_file() or not (DIST / "onsend.js").is_file():
        pytest.fail("the add-in is not built: run `make test` (or `make addin`)")
    return DIST


@pytest.fixture(scope="session")
def node() -> str:
    found = shutil.which("node")
    if found is None:
        pytest.fail("Node.js is needed to build and test the add-in")
    return found
