"""Loading the official tree (kota, kecamatan, kelurahan) and the kelurahan aliases."""

import csv
from pathlib import Path

from sqlmodel import Session, select

from transparency.areas import child_path
from transparency.codes import name_key
from transparency.models import Area, AreaLevel, KelurahanAlias


def load_wilayah(session: Session, csv_path: Path) -> int:
    """Create the areas of a Kemendagri list (level, code, name, parent_code); return how many."""
    existing = {area.code: area for area in session.exec(select(Area))}
    created = 0
    with csv_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["code"] in existing:
                continue
            parent = existing.get(row["parent_code"])
            area = Area(
                code=row["code"],
                level=AreaLevel(row["level"]),
                name=row["name"],
                parent_id=parent.id if parent else None,
                path=child_path(parent.path if parent else None, row["code"]),
            )
            session.add(area)
            session.flush()
            existing[area.code] = area
            created += 1
    return created


def load_aliases(session: Session, csv_path: Path) -> int:
    """Add kelurahan aliases (alias, kelurahan_code, note); return how many were new."""
    known = {alias.alias for alias in session.exec(select(KelurahanAlias))}
    areas = {a.code: a for a in session.exec(select(Area).where(Area.level == AreaLevel.KELURAHAN))}
    created = 0
    with csv_path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = name_key(row["alias"])
            if key in known:
                continue
            session.add(
                KelurahanAlias(alias=key, area_id=areas[row["kelurahan_code"]].id, note=row["note"])
            )
            known.add(key)
            created += 1
    session.flush()
    return created
