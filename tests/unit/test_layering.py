"""The layers stay apart: no Qt below the UI, and the server shares only the domain."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BELOW_THE_UI = ("domain", "local_store", "sync")
QT_AND_UI = {"PySide6", "shiboken6", "ui", "widgets"}


def python_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    return files


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every absolute import in a file, nested ones included."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_importing_the_workstation_core_loads_no_qt():
    code = ("import domain.records, domain.mutations, domain.values, domain.codes, "
            "local_store.store, local_store.edits, local_store.settings, "
            "sync.client, sync.credentials, sync.engine, sync.workstation, sync.cli; "
            "import json, sys; "
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('PySide6', 'shiboken6', 'ui', 'widgets'))))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("package", BELOW_THE_UI)
def test_no_module_below_the_ui_imports_qt_or_the_ui(package):
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & QT_AND_UI)
                 for p in python_files(package)}
    assert {p: names for p, names in offenders.items() if names} == {}


@pytest.mark.parametrize("package", BELOW_THE_UI)
def test_no_module_below_the_ui_names_pyside6_at_all(package):
    """Catches what an import statement doesn't show: importlib.import_module("PySide6...")."""
    assert [str(p.relative_to(ROOT)) for p in python_files(package)
            if "PySide6" in p.read_text(encoding="utf-8")] == []


def test_the_domain_imports_nothing_of_the_app_nor_a_database():
    """Pure rules: the same on the workstation and the server, testable alone."""
    app_and_storage = {"district_server", "local_store", "sync", "ui", "widgets", "reports",
                       "PySide6", "shiboken6", "sqlalchemy", "sqlite3", "sqlcipher3",
                       "psycopg", "requests", "fastapi"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & app_and_storage)
                 for p in python_files("domain")}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_widgets_know_nothing_of_the_cache_or_the_sync():
    """Reusable Qt pieces: screens in ui/ wire them to the store."""
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & {
        "local_store", "sync", "ui", "district_server"}) for p in python_files("widgets")}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_the_district_server_imports_nothing_of_the_workstation():
    workstation_side = {"local_store", "sync", "ui", "widgets", "reports", "PySide6",
                        "shiboken6"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & workstation_side)
                 for p in python_files("district_server")}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_the_domain_imports_nothing_of_the_app_or_a_database():
    """Shared by client and server: pure rules and records, the standard library only."""
    app_or_database = {"local_store", "sync", "reports", "ui", "widgets", "district_server",
                       "sqlalchemy", "sqlcipher3", "PySide6", "shiboken6"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & app_or_database)
                 for p in python_files("domain")}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_reports_paint_documents_without_reading_the_cache():
    """reports/ draws what it is handed (domain records, rows); it may use the
    domain and Qt, never the cache, sync, the screens or the server."""
    not_for_reports = {"local_store", "sync", "ui", "widgets", "district_server"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & not_for_reports)
                 for p in python_files("reports")}
    assert {p: names for p, names in offenders.items() if names} == {}


def test_the_import_check_sees_nested_and_dotted_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from __future__ import annotations\n"
                      "import os.path\n"
                      "from .sibling import x\n"
                      "def later():\n"
                      "    from PySide6.QtCore import QObject\n"
                      "    import sync.client as client\n")
    assert imported_packages(sample) == {"__future__", "os", "PySide6", "sync"}
