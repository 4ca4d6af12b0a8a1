"""Imports point one way: views/CLI → services → pure modules and queries → models."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "transparency"
WEB = {"flask", "flask_login", "flask_babel", "flask_wtf", "flask_limiter", "werkzeug"}
# Modules below the services: no Flask, no request, no app.
CORE = [
    "models",
    "services",
    "areas",
    "codes",
    "problems",
    "spreadsheets",
    "registering",
    "queries",
    "demodata",
    "passwords",
    "access",
    "scoped",
    "password_policy",
    "redirects",
    "exporting",
    "importing",
    "headers",
    "persons",
    "indicator_sets",
    "containers",
    "workbook_templates",
    "error_report",
    "dashboards",
    "charts",
    "disclosure",
    "sharing",
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _core_files() -> list[Path]:
    files = []
    for name in CORE:
        target = PACKAGE / name
        files += sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    return files


@pytest.mark.parametrize("path", _core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_modules_do_not_import_the_web_layer(path):
    imported = {name.split(".")[0] for name in _imports(path)}
    assert not imported & WEB, f"{path.name} imports {imported & WEB}"
    assert not any(
        name.startswith("transparency.views") or name == "transparency.cli"
        for name in _imports(path)
    )


def _root_names(path: Path) -> set[str]:
    """Names taken from the package root itself (``from transparency import create_app``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    taken = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "transparency":
            taken.update(
                a.name
                for a in node.names
                if not (PACKAGE / a.name).is_dir() and not (PACKAGE / f"{a.name}.py").exists()
            )
        elif isinstance(node, ast.Import):
            taken.update(a.name for a in node.names if a.name == "transparency")
    return taken


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_imports_the_package_root(path):
    # The import job's child process is an entry point, like wsgi.py: it builds the app.
    allowed = {"create_app"} if path == PACKAGE / "worker.py" else set()
    assert _root_names(path) <= allowed


def test_models_import_nothing_else_of_the_app():
    for path in (PACKAGE / "models").glob("*.py"):
        own = {n for n in _imports(path) if n.startswith("transparency")}
        assert own <= {
            "transparency.models",
            "transparency.models.base",
            "transparency.models.accounts",
            "transparency.models.areas",
            "transparency.models.audit",
            "transparency.models.catalog",
            "transparency.models.figures",
            "transparency.models.publishing",
            "transparency.models.verification",
        }, path.name


def test_every_module_opens_with_a_docstring():
    for path in PACKAGE.rglob("*.py"):
        if "versions" in path.parts:
            continue
        assert ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), path


def test_the_web_process_never_parses_an_uploaded_file():
    """Reading a spreadsheet happens in the import job (a child process with limits),
    never in a view: no view module imports the readers."""
    readers = {"read_sheets", "python_calamine", "openpyxl", "pandas"}
    for path in (PACKAGE / "views").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = set()
            if isinstance(node, ast.Import):
                names = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {alias.name for alias in node.names} | {(node.module or "").split(".")[0]}
            assert not names & readers, f"{path.name} imports {sorted(names & readers)}"
