"""Layering rules that prose alone would not keep: checked on the source with the ast module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "interschool"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(folder: str) -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


@pytest.mark.parametrize("folder", ["algorithms", "synthetic", "registry/importing"])
def test_pure_packages_never_import_django_or_the_web_layers(folder):
    files = [p for p in python_files(folder) if "tests" not in p.parts]
    assert files, f"no source found under interschool/{folder}"
    offenders = {}
    for path in files:
        bad = {
            m
            for m in imported_modules(path)
            if m == "django"
            or m.startswith(("django.", "ninja", "interschool.core", "interschool.config"))
            or m in {"interschool.registry.models", "interschool.registry.services"}
        }
        if bad:
            offenders[str(path.relative_to(PACKAGE))] = sorted(bad)
    assert not offenders, f"these modules must stay free of Django: {offenders}"


@pytest.mark.parametrize("name", ["matchfile", "matchschools"])
def test_match_file_modules_import_only_the_standard_library_numpy_and_pure_packages(name):
    """``interschool match-file`` must run where there is no database and no Django settings."""
    modules = imported_modules(PACKAGE / f"{name}.py")
    pure = (
        "interschool.algorithms",
        "interschool.synthetic",
        "interschool.matchfile",
        "interschool.matchschools",
    )
    outside = {
        m
        for m in modules
        if m.split(".")[0] not in {*sys.stdlib_module_names, "numpy"} and not m.startswith(pure)
    }
    assert not outside, f"interschool/{name}.py must stay free of Django and the web layers: {outside}"
    # Indirect imports count too: loading the module and the solvers must not load Django.
    check = (
        f"import sys, interschool.{name}, interschool.algorithms.matching.vertical, "
        "interschool.algorithms.matching.peers; sys.exit('django' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0


def test_the_check_itself_catches_a_django_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("from django.db import models\nimport numpy\n", encoding="utf-8")
    assert "django.db" in imported_modules(sample)


def test_services_and_selectors_never_import_views_or_api():
    offenders = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE)
        if "tests" in rel.parts or not (
            {"services", "selectors.py", "models"} & set(rel.parts)
            or rel.name in {"selectors.py", "services.py"}
        ):
            continue
        bad = {m for m in imported_modules(path) if m.endswith((".views", ".api")) or ".views." in m}
        if bad:
            offenders[str(rel)] = sorted(bad)
    assert not offenders, f"the domain layer must not import the web layer: {offenders}"


@pytest.mark.parametrize("name", ["recurrence", "ical"])
def test_calendar_files_load_without_django(name):
    """Recurrence and iCalendar feeds work on plain data, so they are tested without a database."""
    check = f"import sys, interschool.resources.{name}; sys.exit('django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", check], check=False).returncode == 0
