"""The demo city: the Surabaya tree, its register, the catalogue, figures and accounts.

Demo accounts are created here and nowhere else; they are flagged ``is_demo``.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import insert
from sqlmodel import Session, select

from transparency import demodata
from transparency.access import build_scope
from transparency.models import (
    ActiveUpload,
    Area,
    AreaLevel,
    Department,
    Figure,
    Indicator,
    Period,
    Role,
    Upload,
    UploadIndicator,
    UploadStatus,
    User,
    Verification,
    VerificationStatus,
)
from transparency.models.base import utcnow
from transparency.passwords import hash_password
from transparency.services import catalog, coverage, publishing, wilayah
from transparency.services.register import RegisterReport, import_register

DEMO_MONTHS = 12
LAST_MONTH = (2026, 10)
PUBLISH_LAG_MONTHS = 1  # the latest month waits for verification: not published
PUBLISHED_AT_DAY = 10  # a month's figures are published on the 10th of the next month
RECEIVED_AFTER_DAYS = 5  # and delivered by the departments on the 5th


@dataclass(frozen=True)
class DemoAccount:
    """A demo login as ``make run`` prints it."""

    username: str
    password: str
    role: Role
    area_code: str | None
    department: str | None
    description: str


DEMO_ACCOUNTS = (
    DemoAccount(
        "walidata",
        "walidata-demo-2026",
        Role.WALIDATA,
        "35.78",
        "diskominfo",
        "Walidata Diskominfo (kota)",
    ),
    DemoAccount("dinsos", "dinsos-demo-2026", Role.OPERATOR, None, "dinsos", "Operator Dinsos"),
    DemoAccount(
        "dispendik", "dispendik-demo-2026", Role.OPERATOR, None, "dispendik", "Operator Dispendik"
    ),
    DemoAccount("camat.rungkut", "camat-demo-2026", Role.CAMAT, "35.78.03", None, "Camat Rungkut"),
    DemoAccount(
        "lurah.wonorejo",
        "lurah-demo-2026",
        Role.LURAH,
        "35.78.03.1005",
        None,
        "Lurah Wonorejo (Rungkut)",
    ),
    DemoAccount(
        "rw001.wonorejo",
        "ketuarw-demo-2026",
        Role.KETUA_RW,
        "35.78.03.1005.001",
        None,
        "Ketua RW 001 Wonorejo",
    ),
    DemoAccount(
        "rt001.rw001.wonorejo",
        "ketuart-demo-2026",
        Role.KETUA_RT,
        "35.78.03.1005.001.001",
        None,
        "Ketua RT 001/RW 001 Wonorejo",
    ),
)


def is_seeded(session: Session) -> bool:
    """True once the city exists in the database."""
    return session.exec(select(Area.id).where(Area.parent_id.is_(None))).first() is not None


def load_city(session: Session, seed_dir: Path) -> None:
    """The official tree, aliases, departments and indicators (no register, no figures)."""
    wilayah.load_wilayah(session, seed_dir / "surabaya_wilayah.csv")
    wilayah.load_aliases(session, seed_dir / "kelurahan_aliases.csv")
    catalog.load_departments(session, seed_dir / "departments.csv")
    catalog.load_indicators(session, seed_dir / "indicators.csv")


def seed_demo(
    session: Session, seed_dir: Path, register_file: Path | None = None
) -> RegisterReport:
    """Everything the demo shows; the caller commits. Returns the register import's report."""
    load_city(session, seed_dir)
    register_file = register_file or seed_dir / "register_rt_rw_2026.csv"
    report = import_register(session, register_file.read_bytes(), register_file.name, 50_000)
    if not report.ok:
        raise ValueError(f"demo register has problems: {report.problems[:3]}")
    users = seed_accounts(session)
    periods = catalog.ensure_months(session, *LAST_MONTH, DEMO_MONTHS)
    seed_figures(session, periods, users)
    publish_demo(session, periods[:-PUBLISH_LAG_MONTHS], users["walidata"])
    seed_verifications(session, periods[-1], users)
    return report


def seed_accounts(session: Session) -> dict[str, User]:
    """One demo account per role, with known passwords; returns them by username."""
    areas = {a.code: a.id for a in session.exec(select(Area).where(Area.level != AreaLevel.RT))}
    rt_codes = [a.area_code for a in DEMO_ACCOUNTS if a.role == Role.KETUA_RT]
    areas.update({a.code: a.id for a in session.exec(select(Area).where(Area.code.in_(rt_codes)))})
    departments = {d.code: d.id for d in session.exec(select(Department))}
    users = {}
    for account in DEMO_ACCOUNTS:
        users[account.username] = User(
            username=account.username,
            display_name=account.description,
            role=account.role,
            area_id=areas.get(account.area_code),
            department_id=departments.get(account.department),
            password_hash=hash_password(account.password),
            must_change_password=False,
            is_demo=True,
        )
    session.add_all(users.values())
    session.flush()
    return users


def seed_figures(session: Session, periods: list[Period], users: dict[str, User]) -> int:
    """Demo figures for every RT and period, one committed upload per department and month."""
    rts = session.exec(select(Area).where(Area.level == AreaLevel.RT).order_by(Area.code)).all()
    kelurahan = [rt.code.rsplit(".", 2)[0] for rt in rts]
    rw_parent = dict(
        session.exec(select(Area.id, Area.parent_id).where(Area.level == AreaLevel.RW)).all()
    )
    kelurahan_ids = [rw_parent[rt.parent_id] for rt in rts]
    groups = np.unique(kelurahan, return_inverse=True)[1]
    values = demodata.generate(
        np.array([rt.households for rt in rts]),
        np.array([rt.residents for rt in rts]),
        groups,
        len(periods),
    )
    indicators = session.exec(select(Indicator)).all()
    uploader = {u.department_id: u.id for u in users.values() if u.role == Role.OPERATOR}
    written = 0
    for index, period in enumerate(periods):
        for department_id in sorted({i.department_id for i in indicators}):
            own = [i for i in indicators if i.department_id == department_id and i.code in values]
            upload = _demo_upload(session, department_id, period, own, uploader, len(rts))
            for indicator in own:
                column = values[indicator.code][:, index]
                session.connection().execute(
                    insert(Figure),
                    [
                        {
                            "area_id": rt.id,
                            "indicator_id": indicator.id,
                            "period_id": period.id,
                            "upload_id": upload.id,
                            "value": int(value),
                            "kelurahan_id": kelurahan_id,
                        }
                        for rt, kelurahan_id, value in zip(rts, kelurahan_ids, column, strict=True)
                    ],
                )
                session.connection().execute(  # in force in every kelurahan it covers
                    insert(ActiveUpload),
                    [
                        {
                            "indicator_id": indicator.id,
                            "period_id": period.id,
                            "kelurahan_id": kelurahan_id,
                            "upload_id": upload.id,
                            "activated_at": upload.committed_at,
                        }
                        for kelurahan_id in sorted(set(kelurahan_ids))
                    ],
                )
                written += len(rts)
            coverage.record_coverage(session, upload)
    session.flush()
    return written


def _demo_upload(session, department_id, period, indicators, uploader, rows) -> Upload:
    """A committed upload standing for a department's month of demo data."""
    label = f"demo:{department_id}:{period.code}"
    upload = Upload(
        department_id=department_id,
        period_id=period.id,
        file_name=f"data-demo-{period.code}.xlsx",
        sha256=hashlib.sha256(label.encode()).hexdigest(),
        shape="rt",
        status=UploadStatus.COMMITTED,
        rows_read=rows,
        rows_accepted=rows,
        uploaded_by_id=uploader.get(department_id),
    )
    session.add(upload)
    session.flush()
    session.add_all(UploadIndicator(upload_id=upload.id, indicator_id=i.id) for i in indicators)
    received = period.ends_on + timedelta(days=RECEIVED_AFTER_DAYS)
    upload.created_at = upload.committed_at = datetime(
        received.year, received.month, received.day, 2, 0, tzinfo=UTC
    )
    return upload


def publish_demo(session: Session, periods: list[Period], walidata: User) -> int:
    """The walidata publishes every indicator of the given months (on the 10th of the month
    after each), as the portal shows them. Returns the number of publications."""
    city = session.exec(select(Area).where(Area.parent_id.is_(None))).one()
    scope = build_scope(
        user_id=walidata.id,
        role=walidata.role,
        active=True,
        area_path=city.path,
        area_level=city.level,
        department_id=walidata.department_id,
        city_path=city.path,
    )
    tree = publishing.AreaTree(session)
    indicators = session.exec(select(Indicator).order_by(Indicator.position)).all()
    count = 0
    for period in periods:
        after = period.ends_on + timedelta(days=PUBLISHED_AT_DAY)
        when = datetime(after.year, after.month, after.day, 3, 0, tzinfo=UTC)
        for indicator in indicators:
            in_force = select(ActiveUpload.upload_id).where(
                ActiveUpload.indicator_id == indicator.id, ActiveUpload.period_id == period.id
            )
            if session.exec(in_force.limit(1)).first() is None:
                continue
            publishing.publish(
                session, scope, walidata, indicator.code, period.code, when, tree=tree, record=False
            )
            count += 1
    return count


# RW 001 of Wonorejo (Rungkut) in the latest month: (RT, indicator) → (status, note, claim,
# answer). RT 001 (the demo ketua RT) has confirmed two figures and left the rest to check.
DEMO_VERIFICATIONS = {
    ("001", "kk_total"): (VerificationStatus.CONFIRMED, "", None, ""),
    ("001", "jiwa_total"): (VerificationStatus.CONFIRMED, "", None, ""),
    ("002", "kk_total"): (VerificationStatus.CONFIRMED, "", None, ""),
    ("002", "kk_gamis"): (
        VerificationStatus.DISPUTED,
        "Di RT kami ada 12 KK miskin, bukan sebanyak ini: dua keluarga sudah pindah.",
        12,
        "",
    ),
    ("003", "kk_total"): (VerificationStatus.CONFIRMED, "", None, ""),
    ("003", "anak_sd"): (
        VerificationStatus.REJECTED,
        "Anak SD di RT kami lebih sedikit.",
        None,
        "Angka sesuai data Dapodik per 31 Oktober; silakan cek ulang bersama RW.",
    ),
    ("004", "lansia"): (VerificationStatus.DISPUTED, "Dua lansia sudah meninggal.", None, ""),
}
DEMO_RW = "35.78.03.1005.001"


def seed_verifications(session: Session, period: Period, users: dict[str, User]) -> int:
    """A few confirmations and disputes in RW 001 Wonorejo, so that pages show states."""
    rts = {
        area.code.rsplit(".", 1)[1]: area
        for area in session.exec(select(Area).where(Area.path.startswith(DEMO_RW + ".")))
    }
    indicators = {i.code: i for i in session.exec(select(Indicator))}
    pointers = {
        p.indicator_id: p.upload_id
        for p in session.exec(select(ActiveUpload).where(ActiveUpload.period_id == period.id))
    }
    head = users["rt001.rw001.wonorejo"]
    answered_by = users["dispendik"]
    added = 0
    for (rt, code), (status, note, claim, answer) in DEMO_VERIFICATIONS.items():
        if rt not in rts or code not in indicators:
            continue
        indicator = indicators[code]
        answered = status in (VerificationStatus.ACCEPTED, VerificationStatus.REJECTED)
        session.add(
            Verification(
                area_id=rts[rt].id,
                indicator_id=indicator.id,
                period_id=period.id,
                upload_id=pointers[indicator.id],
                status=status,
                note=note,
                claimed_value=claim,
                created_by_id=head.id,
                answer=answer,
                answered_by_id=answered_by.id if answered else None,
                answered_at=utcnow() if answered else None,
            )
        )
        added += 1
    session.flush()
    return added
