"""Saved import mappings: a department's confirmed reading of its own workbook, by name."""

from datetime import UTC, datetime

from sqlmodel import Session, select

from transparency.importing import Mapping
from transparency.models import Department, ImportMapping, User


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
