"""Importing the RT/RW register: creates or updates RWs and RTs in one transaction."""

from dataclasses import dataclass, field

from sqlmodel import Session, select

from transparency.areas import child_path
from transparency.codes import rt_code, rw_code
from transparency.models import Area, AreaLevel
from transparency.problems import Problem, UnreadableFile
from transparency.queries import list_kelurahan_codes
from transparency.registering import RegisterRow, parse_register
from transparency.spreadsheets import read_sheets


@dataclass
class RegisterReport:
    """What an import did, or why it did nothing."""

    sheet: str = ""
    header_row: int = 0
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when the file had no errors and its rows were applied."""
        return not self.problems


def import_register(session: Session, data: bytes, filename: str, max_rows: int) -> RegisterReport:
    """Read, check and apply a register file; with any problem, write nothing."""
    try:
        sheets = read_sheets(data, filename)
    except UnreadableFile as exc:
        return RegisterReport(problems=[exc.problem])
    kelurahan = list_kelurahan_codes(session)
    parsed = parse_register(sheets, set(kelurahan), max_rows)
    report = RegisterReport(
        sheet=parsed.sheet,
        header_row=parsed.header_row,
        rows=len(parsed.rows),
        problems=parsed.problems,
    )
    if report.ok:
        _apply(session, parsed.rows, kelurahan, report)
    return report


def _apply(
    session: Session, rows: list[RegisterRow], kelurahan: dict[str, Area], report: RegisterReport
) -> None:
    """Create missing RWs and RTs, update changed counts, count what stayed the same."""
    touched = {row.kelurahan_code for row in rows}
    existing = _existing_areas(session, touched)
    rws = {}
    for row in rows:
        code = rw_code(row.kelurahan_code, row.rw)
        if code not in existing and code not in rws:
            parent = kelurahan[row.kelurahan_code]
            rws[code] = Area(
                code=code,
                level=AreaLevel.RW,
                name=f"RW {row.rw}",
                parent_id=parent.id,
                path=child_path(parent.path, code),
            )
    session.add_all(rws.values())
    session.flush()
    existing.update(rws)
    for row in rows:
        _apply_rt(session, row, existing, report)
    session.flush()


def _apply_rt(
    session: Session, row: RegisterRow, areas: dict[str, Area], report: RegisterReport
) -> None:
    """Create or update one RT and count the outcome."""
    code = rt_code(row.kelurahan_code, row.rw, row.rt)
    rt = areas.get(code)
    if rt is None:
        parent = areas[rw_code(row.kelurahan_code, row.rw)]
        session.add(
            Area(
                code=code,
                level=AreaLevel.RT,
                name=f"RT {row.rt}",
                parent_id=parent.id,
                path=child_path(parent.path, code),
                households=row.households,
                residents=row.residents,
            )
        )
        report.created += 1
    elif (rt.households, rt.residents) != (row.households, row.residents):
        rt.households, rt.residents = row.households, row.residents
        session.add(rt)
        report.updated += 1
    else:
        report.unchanged += 1


def _existing_areas(session: Session, kelurahan_codes: set[str]) -> dict[str, Area]:
    """The RWs and RTs already below the given kelurahan, by code (one query)."""
    statement = select(Area).where(Area.level.in_([AreaLevel.RW, AreaLevel.RT]))
    return {
        area.code: area
        for area in session.exec(statement)
        if area.code.rsplit(".", 2 if area.level == AreaLevel.RT else 1)[0] in kelurahan_codes
    }
