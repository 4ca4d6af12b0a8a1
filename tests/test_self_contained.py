"""The project stands on its own: nothing it runs or documents reads a path outside the repository.

A city's engineer clones the project into an empty folder; whatever the tests, benchmarks,
package, README or Makefile need must be inside that clone (the sample workbooks are in
``samples/``).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("tests", "benchmarks", "transparency")
CHECKED_FILES = ("README.md", "Makefile")
TEXT_SUFFIXES = {".py", ".md", ".html", ".txt", ".json", ".csv", ".cfg", ".toml", ".ini", ""}
# Built from parts so that this file does not itself name the folder it forbids.
SIBLING = "sha" + "red"
SIBLING_PATTERN = re.compile(r"\.\./" + SIBLING + r"|[\"'/]" + SIBLING + r"[\"'/]")
PARENTS_INDEX = re.compile(r"__file__\)\.resolve\(\)\.parents\[(\d+)\]")
PARENT_CHAIN = re.compile(r"__file__\)\.resolve\(\)((?:\.parent)+)")


def outside_references(relative: Path, text: str) -> list[str]:
    """The lines of ``text`` (a file at ``relative`` in the repository) that reach outside it."""
    depth = len(relative.parts)  # how many .parent steps from the file reach the root
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        climbs = [int(n) + 1 for n in PARENTS_INDEX.findall(line)]
        climbs += [chain.count(".parent") for chain in PARENT_CHAIN.findall(line)]
        if (
            SIBLING_PATTERN.search(line)
            or "ROOT.parent" in line
            or any(climb > depth for climb in climbs)
            or (relative.suffix in {".md", ""} and "../" in line)
        ):
            found.append(f"{relative}:{number}: {line.strip()}")
    return found


def _checked_files():
    """Every text file the rule covers."""
    for folder in CHECKED:
        for path in sorted((ROOT / folder).rglob("*")):
            readable = path.suffix in TEXT_SUFFIXES and "__pycache__" not in path.parts
            if path.is_file() and readable and path != Path(__file__).resolve():
                yield path  # this file's own examples are data, not paths it reads
    for name in CHECKED_FILES:
        yield ROOT / name


def test_no_checked_file_reads_a_path_outside_the_repository():
    """tests/, benchmarks/, transparency/, README.md and the Makefile stay inside the clone."""
    found = []
    for path in _checked_files():
        found += outside_references(path.relative_to(ROOT), path.read_text(encoding="utf-8"))
    assert found == []


@pytest.mark.parametrize(
    ("relative", "line", "outside"),
    [
        ("tests/conftest.py", 'SAMPLES = ROOT.parent / "' + SIBLING + '" / "samples"', True),
        ("tests/x.py", "S = Path(__file__).resolve().parents[2] / 'samples'", True),
        ("tests/x.py", "S = Path(__file__).resolve().parents[1] / 'samples'", False),
        ("tests/x.py", "S = Path(__file__).resolve().parent.parent.parent / 'x'", True),
        ("tests/x.py", "S = Path(__file__).resolve().parent.parent / 'samples'", False),
        ("transparency/views/x.py", "P = Path(__file__).resolve().parents[2]", False),
        ("README.md", "flask import ../" + SIBLING + "/samples/x.xlsx", True),
        ("README.md", "flask import ../elsewhere/x.xlsx", True),
        ("README.md", "flask import samples/x.xlsx", False),
        ("tests/x.py", 'zip_member = "../../x"', False),
    ],
)
def test_outside_references_are_recognised(relative, line, outside):
    """The rule tells a climb out of the repository from a path inside it."""
    assert bool(outside_references(Path(relative), line)) is outside


def test_the_samples_the_tests_read_are_in_the_repository():
    """The sample workbooks and their expected figures ship with the project."""
    samples = ROOT / "samples"
    names = {p.relative_to(samples).as_posix() for p in samples.rglob("*") if p.is_file()}
    assert {
        "README.md",
        "dinsos_gamis_pramis_2026-10.xlsx",
        "dispendik_anak_sekolah_sinau_2026-10.xlsx",
        "register_rt_rw_2026.xlsx",
        "register_rt_rw_2026.csv",
        "expected/dinsos_gamis_pramis_2026-10.csv",
        "expected/dinsos_gamis_pramis_2026-10.rejected.csv",
        "expected/dispendik_anak_sekolah_sinau_2026-10.csv",
    } <= names
