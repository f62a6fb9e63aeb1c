"""Migrations do the same thing forever: they never import the project's live
code (`nlp`, `backend`), whose later changes would silently change what an
old revision does; what they need is frozen inside them."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import PROJECT_ROOT

VERSIONS = PROJECT_ROOT / "backend" / "migrations" / "versions"
MIGRATIONS = sorted(VERSIONS.glob("*.py"))
# Third-party packages a migration may use besides Alembic and SQLAlchemy,
# each with the reason: nothing of ours.
ALLOWED_THIRD_PARTY = {
    "anyascii": "0005 folds company names as the engine did; its tables are data, pinned in pyproject.toml",
}


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            # A relative import ("from . import x") reaches into the package: live code too.
            found.append((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_there_are_migrations_to_scan():
    assert len(MIGRATIONS) >= 8 and all(p.name[:4].isdigit() for p in MIGRATIONS)


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: p.name)
def test_a_migration_imports_only_alembic_sqlalchemy_and_the_standard_library(path):
    allowed = {"alembic", "sqlalchemy", *ALLOWED_THIRD_PARTY} | set(sys.stdlib_module_names)
    wrong = [
        f"{path.name}:{line}: imports {module}"
        for line, module in _imported_modules(path)
        if module.startswith(".") or module.split(".")[0] not in allowed
    ]
    assert not wrong, "freeze what the migration needs inside it instead:\n" + "\n".join(wrong)


def test_the_scan_catches_live_imports(tmp_path):
    bad = tmp_path / "0099_bad.py"
    bad.write_text(
        "import sqlalchemy as sa\n"
        "def upgrade():\n"
        "    from nlp.fingerprint import band_keys\n"
        "    import backend.storage.models\n"
        "    from . import helpers\n"
    )
    assert [m for _, m in _imported_modules(bad)] == ["sqlalchemy", "nlp.fingerprint", "backend.storage.models", "."]


def _load(name: str) -> ModuleType:
    (path,) = VERSIONS.glob(f"{name}_*.py")
    spec = importlib.util.spec_from_file_location(f"_migration_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_0003_band_keys_are_scheme_1s():
    band_keys = _load("0003").band_keys
    fp = bytes(range(64))
    assert band_keys(fp) == [1 << 32 | band << 16 | (2 * band) | (2 * band + 1) << 8 for band in range(32)]
    assert band_keys(bytes(64)) == [1 << 32 | band << 16 for band in range(32)]
    with pytest.raises(ValueError):
        band_keys(bytes(63))


def test_0005_company_keys_are_those_of_its_revision():
    company_key = _load("0005").company_key
    assert company_key("Ceramiche Lombardi S.r.l.") == "ceramiche lombardi"
    assert company_key("Müller & Söhne GmbH") == "muller sohne"
    assert company_key("宁波光明照明有限公司") == "ningboguangmingzhaomingyouxiangongsi"
    assert company_key("Sp. z o.o.") is None
    assert company_key("") is None and company_key(None) is None
