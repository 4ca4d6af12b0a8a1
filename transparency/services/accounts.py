"""Accounts: sign-in, passwords, activation, and the walidata's administration.

Every change that alters what a person may see or whether they may sign in bumps
``session_version``, which ends all their sessions (remember-me included) on the
next request. Functions add audit events; the caller commits.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select

from transparency.access import ROLE_LEVEL
from transparency.models import Area, Department, Role, User
from transparency.password_policy import check_password
from transparency.passwords import hash_password, needs_rehash, verify_password
from transparency.services import Refused, audit

# Verified for unknown usernames so that both paths cost the same (no enumeration by timing).
_DUMMY_HASH = hash_password("not-a-real-account-password")
ACTIVATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class AccountError(Refused):
    """A refused account operation; ``code`` is translated at the edge."""


def normalise_username(username: str) -> str:
    """Usernames are compared trimmed and in lower case."""
    return (username or "").strip().lower()[:80]


def get_user(session: Session, username: str) -> User | None:
    """The account with this username, or None."""
    wanted = normalise_username(username)
    return session.exec(select(User).where(User.username == wanted)).first()


def authenticate(session: Session, username: str, password: str, now: datetime) -> User | None:
    """The active account whose password matches, or None; upgrades old hashes."""
    user = get_user(session, username)
    if user is None or not user.password_hash:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(user)
    return user


def password_context(session: Session, user: User) -> tuple[str, ...]:
    """Words a user's password must not be built from: names, username, area."""
    words = [user.username, user.display_name, *user.username.replace(".", " ").split()]
    area = session.get(Area, user.area_id) if user.area_id else None
    while area is not None:
        words += [area.name, area.code.rsplit(".", 1)[-1]]
        area = session.get(Area, area.parent_id) if area.parent_id else None
    return tuple(word for word in words if word)


def set_password(session: Session, user: User, new_password: str) -> None:
    """Check the policy, store the new hash and end every other session."""
    problems = check_password(new_password, password_context(session, user))
    if problems:
        raise AccountError(problems[0])
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.activation_code_hash = ""
    user.activation_expires_at = None
    user.session_version += 1
    session.add(user)


def change_password(session: Session, user: User, current: str, new: str, remote_addr: str) -> None:
    """The user's own password change: the current password is required."""
    if not verify_password(user.password_hash, current):
        audit.record(
            session,
            "password.change",
            actor=user,
            outcome="denied",
            remote_addr=remote_addr,
            reason="wrong current password",
        )
        raise AccountError("account.wrong_current_password")
    set_password(session, user, new)
    audit.record(
        session,
        "password.change",
        actor=user,
        object_type="user",
        object_id=user.id,
        remote_addr=remote_addr,
    )


def activation_digest(code: str) -> str:
    """How an activation code is stored: a SHA-256 of a long random code."""
    folded = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(folded.encode()).hexdigest()


def new_activation_code() -> str:
    """A 12-character one-time code (60 bits), grouped for reading aloud: ``K7QM-2XPA-9DLE``."""
    raw = "".join(secrets.choice(ACTIVATION_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def activate(
    session: Session, username: str, code: str, new_password: str, now: datetime, remote_addr: str
) -> User:
    """An RT head sets their own password with the code from the lurah's workbook."""
    user = get_user(session, username)
    valid = (
        user is not None
        and user.active
        and user.activation_code_hash
        and secrets.compare_digest(user.activation_code_hash, activation_digest(code))
        and user.activation_expires_at is not None
        and _aware(user.activation_expires_at) > now
    )
    if not valid:
        audit.record(
            session,
            "account.activate",
            actor_name=normalise_username(username),
            outcome="denied",
            remote_addr=remote_addr,
        )
        raise AccountError("account.activation_invalid")
    set_password(session, user, new_password)
    audit.record(
        session,
        "account.activate",
        actor=user,
        object_type="user",
        object_id=user.id,
        remote_addr=remote_addr,
    )
    return user


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive UTC datetimes; make them comparable with aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AccountChange:
    """What the walidata may set on an account (and nothing else)."""

    role: Role
    area_code: str | None
    department_code: str | None
    display_name: str


def _resolve(session: Session, change: AccountChange) -> tuple[int | None, int | None]:
    """The area and department ids of a change, checked against the role."""
    area_id = department_id = None
    area = None
    if change.area_code:
        area = session.exec(select(Area).where(Area.code == change.area_code.strip())).first()
        if area is None:
            raise AccountError("account.unknown_area", code=change.area_code)
        area_id = area.id
    if change.department_code:
        department = session.exec(
            select(Department).where(Department.code == change.department_code)
        ).first()
        if department is None:
            raise AccountError("account.unknown_department", code=change.department_code)
        department_id = department.id
    if change.role == Role.OPERATOR and department_id is None:
        raise AccountError("account.department_required")
    if change.role == Role.OPERATOR:
        return None, department_id
    if area_id is None:
        raise AccountError("account.area_required")
    if area.level != ROLE_LEVEL[change.role]:
        raise AccountError(
            "account.area_level", role=change.role.value, level=ROLE_LEVEL[change.role].value
        )
    return area_id, None


def create_account(
    session: Session, actor: User, username: str, change: AccountChange, remote_addr: str
) -> tuple[User, str]:
    """A new account with a temporary password it must change at first sign-in."""
    name = normalise_username(username)
    if not name or get_user(session, name) is not None:
        raise AccountError("account.username_taken" if name else "account.username_required")
    area_id, department_id = _resolve(session, change)
    temporary = secrets.token_urlsafe(12)
    user = User(
        username=name,
        display_name=change.display_name,
        role=change.role,
        area_id=area_id,
        department_id=department_id,
        password_hash=hash_password(temporary),
        must_change_password=True,
    )
    session.add(user)
    session.flush()
    _audit_change(session, "account.create", actor, user, change, remote_addr)
    return user, temporary


def _audit_change(
    session: Session, action: str, actor: User, user: User, change: AccountChange, remote_addr: str
) -> None:
    """An account creation or change in the audit trail: who set which role and area."""
    audit.record(
        session,
        action,
        actor=actor,
        object_type="user",
        object_id=user.id,
        remote_addr=remote_addr,
        role=change.role.value,
        area=change.area_code or "",
        department=change.department_code or "",
    )


def update_account(
    session: Session, actor: User, user: User, change: AccountChange, remote_addr: str
) -> None:
    """Change role, area, department or name; a change of scope ends the user's sessions."""
    area_id, department_id = _resolve(session, change)
    before = (user.role, user.area_id, user.department_id)
    user.role, user.area_id, user.department_id = change.role, area_id, department_id
    user.display_name = change.display_name
    if before != (user.role, user.area_id, user.department_id):
        user.session_version += 1
    session.add(user)
    _audit_change(session, "account.update", actor, user, change, remote_addr)


def set_active(session: Session, actor: User, user: User, active: bool, remote_addr: str) -> None:
    """Deactivate (ending every session) or reactivate an account."""
    user.active = active
    user.session_version += 1
    session.add(user)
    audit.record(
        session,
        "account.activate_flag" if active else "account.deactivate",
        actor=actor,
        object_type="user",
        object_id=user.id,
        remote_addr=remote_addr,
    )


def reset_password(session: Session, actor: User, user: User, remote_addr: str) -> str:
    """A new temporary password, to be changed at first sign-in; ends every session."""
    temporary = secrets.token_urlsafe(12)
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.session_version += 1
    session.add(user)
    audit.record(
        session,
        "account.reset_password",
        actor=actor,
        object_type="user",
        object_id=user.id,
        remote_addr=remote_addr,
    )
    return temporary


def activation_expiry(now: datetime, days: int) -> datetime:
    """When a fresh activation code stops working."""
    return now + timedelta(days=days)


def create_first_walidata(session: Session, username: str, now: datetime) -> tuple[User, str]:
    """A walidata account that activates with a one-time code (valid one day): no default
    password ever exists in production."""
    name = normalise_username(username)
    if not name or get_user(session, name) is not None:
        raise AccountError("account.username_taken" if name else "account.username_required")
    code = new_activation_code()
    city = session.exec(select(Area).where(Area.parent_id.is_(None))).first()
    user = User(
        username=name,
        display_name="Walidata",
        role=Role.WALIDATA,
        area_id=city.id if city else None,
        password_hash="",
        must_change_password=True,
        activation_code_hash=activation_digest(code),
        activation_expires_at=activation_expiry(now, 1),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        "account.create",
        actor_name="cli",
        object_type="user",
        object_id=user.id,
        role=Role.WALIDATA.value,
    )
    return user, code
