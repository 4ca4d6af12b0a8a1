"""Saved import mappings: a department's confirmed reading of its own workbook, by name,
and how a file is read once a saved mapping and columns given by hand are applied."""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlmodel import Session, select

from transparency.importing import (
    Mapping,
    header_texts,
    missing_fields,
    saved_changes,
    suggest_mapping,
    suggest_values,
)
from transparency.indicator_sets import IndicatorSet
from transparency.models import Department, ImportMapping, User
from transparency.problems import UnreadableFile
from transparency.spreadsheets import read_sheets


def list_mappings(
    session: Session, department_code: str, indicator_set: str
) -> list[ImportMapping]:
    """The department's saved mappings for an indicator set, by name."""
    statement = (
        select(ImportMapping)
        .join(Department, Department.id == ImportMapping.department_id)
        .where(Department.code == department_code)
        .order_by(ImportMapping.name)
    )
    return [
        m for m in session.exec(statement) if m.definition.get("indicator_set") == indicator_set
    ]


def get_mapping(session: Session, department_code: str, name: str) -> Mapping | None:
    """A saved mapping of the department, or None."""
    statement = (
        select(ImportMapping)
        .join(Department, Department.id == ImportMapping.department_id)
        .where(Department.code == department_code, ImportMapping.name == name)
    )
    found = session.exec(statement).first()
    return Mapping.from_json(found.definition["mapping"]) if found else None


def save_mapping(
    session: Session,
    department_code: str,
    name: str,
    indicator_set: str,
    mapping: Mapping,
    actor: User | None,
) -> ImportMapping:
    """Create or replace the department's mapping of that name."""
    department = session.exec(select(Department).where(Department.code == department_code)).one()
    saved = session.exec(
        select(ImportMapping).where(
            ImportMapping.department_id == department.id, ImportMapping.name == name
        )
    ).first()
    saved = saved or ImportMapping(
        department_id=department.id, name=name, created_by_id=actor.id if actor else None
    )
    saved.definition = {"indicator_set": indicator_set, "mapping": mapping.to_json()}
    saved.updated_at = datetime.now(UTC)
    session.add(saved)
    session.flush()
    return saved


@dataclass
class Resolved:
    """How a file will be read once a saved mapping and the columns given by hand are
    applied to it: the mapping (None if the file cannot be read), the required fields
    still missing, the saved columns whose header changed, and the suggestion."""

    mapping: Mapping | None
    missing: list[str] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    suggestion: Mapping | None = None


class UnknownField(ValueError):
    """A column given by hand for a field the indicator set does not have."""


def column_index(spec: str) -> int | None:
    """A column given as Excel letters (``E``, ``AA``) or a 1-based number (``5``),
    zero-based; None for anything else."""
    spec = spec.strip().upper()
    if spec.isdigit() and spec.isascii():
        return int(spec) - 1 if 1 <= int(spec) <= 16384 else None
    if not spec or not spec.isascii() or not spec.isalpha() or len(spec) > 3:
        return None
    index = 0
    for letter in spec:
        index = index * 26 + ord(letter) - 64
    return index - 1 if index <= 16384 else None


def resolve_mapping(
    data: bytes,
    filename: str,
    iset: IndicatorSet,
    saved: Mapping | None = None,
    columns: dict[str, int] | None = None,
) -> Resolved:
    """Apply a saved mapping (checked against the file's headers) and columns given by
    hand (field → zero-based column) to a file (read here: the CLI's path)."""
    unknown = sorted(set(columns or {}) - set(iset.column_aliases()))
    if unknown:
        raise UnknownField(", ".join(unknown))
    try:
        sheets = read_sheets(data, filename)
    except UnreadableFile:
        return Resolved(None)
    suggestion, _problems = suggest_mapping(sheets, iset, partial=True)
    changes = saved_changes(sheets, saved) if saved is not None else []
    base = saved if saved is not None else suggestion
    if base is None:
        return Resolved(None, changes=changes)
    if not columns:
        if saved is not None:
            return Resolved(saved, missing_fields(saved.columns, iset), changes, suggestion)
        return Resolved(base, list(base.missing), [], suggestion)
    chosen = {**base.columns, **columns}
    for shared in ("rt_rw", "rt_text"):
        if shared in columns and "rt" not in columns and "rw" not in columns:
            chosen["rt"] = columns[shared]
            chosen.pop("rw", None)
    sheet = next(s for s in sheets if s.name == base.sheet)
    texts = header_texts(sheet, base)
    mapping = replace(
        base,
        columns=chosen,
        headers={name: texts[col] if col < len(texts) else "" for name, col in chosen.items()},
        missing=[],
    )
    if iset.shape == "household" and "category" in chosen and not mapping.values:
        found = suggest_values(sheet, mapping, iset)
        mapping = replace(mapping, values=found)
    left = [c for c in changes if c["field"] not in columns]
    return Resolved(mapping, missing_fields(chosen, iset), left, suggestion)
