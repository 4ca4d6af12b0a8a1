"""Loading the official tree (kota, kecamatan, kelurahan), the kelurahan aliases, and a
BPS ↔ Kemendagri crosswalk as aliases."""

import csv
import re
from pathlib import Path

from sqlmodel import Session, select

from transparency.areas import child_path
from transparency.codes import (
    BPS_ALIAS_PREFIX,
    bps_code,
    clean_text,
    is_blank,
    kelurahan_code,
    name_key,
)
from transparency.models import Area, AreaLevel, KelurahanAlias
from transparency.problems import Problem, UnreadableFile
from transparency.spreadsheets import find_header, read_sheets, visible_sheets


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


CROSSWALK_COLUMNS = {
    "bps": ("KODE BPS", "KODE DESA BPS", "BPS", "KODE WILAYAH BPS", "KODE KELURAHAN BPS"),
    "kemendagri": (
        "KODE KEMENDAGRI",
        "KEMENDAGRI",
        "KODE DAGRI",
        "KODE KELURAHAN",
        "KODE WILAYAH KEMENDAGRI",
        "KODE KELURAHAN KEMENDAGRI",
    ),
}


def load_bps_crosswalk(session: Session, data: bytes, filename: str) -> tuple[int, list[Problem]]:
    """Add the BPS desa codes of a crosswalk (a CSV or workbook with a BPS code and a
    Kemendagri code column) as kelurahan aliases ``BPS 3578020007``, so that a file with
    BPS codes, whole or split over kecamatan and desa columns, resolves. All or nothing:
    with any problem (a column missing, a code that is not a BPS desa code or not a
    kelurahan of the city, a BPS code already given to another kelurahan) nothing is
    added and every problem is returned, by row."""
    try:
        sheets = visible_sheets(read_sheets(data, filename))
    except UnreadableFile as exc:
        return 0, [exc.problem]
    sheet = sheets[0] if sheets else None
    index, columns = find_header(sheet.rows, CROSSWALK_COLUMNS) if sheet else (-1, {})
    missing = [name for name in CROSSWALK_COLUMNS if name not in columns]
    if missing:
        return 0, [Problem("crosswalk.missing_column", params={"field": name}) for name in missing]
    kelurahan = {
        a.code: a.id for a in session.exec(select(Area).where(Area.level == AreaLevel.KELURAHAN))
    }
    known = {a.alias: a.area_id for a in session.exec(select(KelurahanAlias))}
    city = next(iter(sorted(kelurahan)), "")[:5].replace(".", "")
    new: dict[str, int] = {}
    problems = []
    for number, cells in enumerate(sheet.rows[index + 1 :], start=index + 2):
        raw_bps, raw_code = (
            cells[columns[n]] if columns[n] < len(cells) else "" for n in ("bps", "kemendagri")
        )
        if is_blank(raw_bps) and is_blank(raw_code):
            continue
        bps = bps_code(re.sub(r"\D", "", clean_text(raw_bps)), "", city)
        code = kelurahan_code(raw_code)
        where = {"row": number, "sheet": sheet.name}
        if bps is None:
            problems.append(Problem("crosswalk.bad_bps_code", value=clean_text(raw_bps), **where))
        elif code not in kelurahan:
            problems.append(
                Problem("crosswalk.unknown_kelurahan", value=clean_text(raw_code), **where)
            )
        else:
            key = name_key(BPS_ALIAS_PREFIX + bps)
            earlier = new.get(key, known.get(key))
            if earlier is not None and earlier != kelurahan[code]:
                problems.append(Problem("crosswalk.conflict", value=bps, **where))
            elif earlier is None:
                new[key] = kelurahan[code]
    if problems:
        return 0, problems
    session.add_all(
        KelurahanAlias(alias=key, area_id=area, note="BPS") for key, area in new.items()
    )
    session.flush()
    return len(new), []
