"""Ketua RT accounts for a whole kelurahan, kecamatan or city in one step.

Each RT without an active ketua RT account gets one, with a one-time activation
code (stored only as a SHA-256: the code is 60 random bits, so a fast hash is
enough). The codes exist in the returned rows and the lurah's workbook, nowhere else.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from transparency.models import Area, AreaLevel, Role, User
from transparency.queries import in_subtree
from transparency.services import audit
from transparency.services.accounts import activation_digest, activation_expiry, new_activation_code


@dataclass(frozen=True)
class RtAccount:
    """One line of the lurah's workbook."""

    kecamatan: str
    kelurahan: str
    rw: str
    rt: str
    username: str
    code: str
    expires_at: datetime


def rt_username(rt_code: str) -> str:
    """The username of an RT's head: ``rt.`` plus the RT code."""
    return f"rt.{rt_code}"


def create_rt_accounts(
    session: Session, actor: User, area: Area, now: datetime, valid_days: int, remote_addr: str
) -> list[RtAccount]:
    """Create the missing ketua RT accounts below ``area``; return them with their codes."""
    rw, kelurahan, kecamatan = aliased(Area), aliased(Area), aliased(Area)
    statement = (
        select(Area, rw.name, kelurahan.name, kecamatan.name)
        .join(rw, rw.id == Area.parent_id)
        .join(kelurahan, kelurahan.id == rw.parent_id)
        .join(kecamatan, kecamatan.id == kelurahan.parent_id)
        .where(Area.level == AreaLevel.RT, in_subtree(Area.path, area.path))
        .order_by(Area.code)
    )
    covered = set(
        session.exec(
            select(User.area_id).where(User.role == Role.KETUA_RT, User.active.is_(True))
        ).all()
    )
    taken = set(session.exec(select(User.username).where(User.username.like("rt.%"))).all())
    expires = activation_expiry(now, valid_days)
    created, users = [], []
    for rt, rw_name, kelurahan_name, kecamatan_name in session.exec(statement):
        username = rt_username(rt.code)
        if rt.id in covered or username in taken:
            continue
        code = new_activation_code()
        users.append(
            User(
                username=username,
                display_name=f"Ketua {rt.name} {rw_name}",
                role=Role.KETUA_RT,
                area_id=rt.id,
                password_hash="",
                must_change_password=True,
                activation_code_hash=activation_digest(code),
                activation_expires_at=expires,
            )
        )
        created.append(
            RtAccount(kecamatan_name, kelurahan_name, rw_name, rt.name, username, code, expires)
        )
    session.add_all(users)
    session.flush()
    audit.record(
        session,
        "account.bulk_create",
        actor=actor,
        object_type="area",
        object_id=area.code,
        remote_addr=remote_addr,
        created=len(created),
    )
    return created
