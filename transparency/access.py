"""Who may do what: roles, permissions, the per-request scope, and route policies.

Pure: no Flask, no database. The scope is built once per request from the signed-in
user (``build_scope``) and passed explicitly to whatever reads area data. Default
deny: an unknown role, a missing or mismatched area, a missing department, or an
inactive account yields the empty scope, which may do and see nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from transparency.areas import is_in_subtree
from transparency.models.accounts import Role
from transparency.models.areas import AreaLevel


class Permission(StrEnum):
    """Actions, as ``resource:action`` strings."""

    FIGURES_READ_EXACT = "figures:read-exact"
    ACCOUNTS_VIEW = "accounts:view"
    ACCOUNTS_MANAGE = "accounts:manage"
    AUDIT_READ = "audit:read"
    AREAS_ADMIN = "areas:admin"
    PROFILE_EDIT = "profile:edit"
    UPLOADS_CREATE = "uploads:create"
    UPLOADS_RESTORE = "uploads:restore"
    PUBLICATIONS_MANAGE = "publications:manage"
    FIGURES_VERIFY = "figures:verify"  # confirm or dispute one's own RT's figures
    DISPUTES_ANSWER = "disputes:answer"
    PROGRESS_READ = "progress:read"  # the officials' overview of verification states


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # Only the RT head speaks for an RT's figures; the walidata may do everything else.
    Role.WALIDATA: frozenset(Permission) - {Permission.FIGURES_VERIFY},
    Role.OPERATOR: frozenset(
        {
            Permission.FIGURES_READ_EXACT,
            Permission.PROFILE_EDIT,
            Permission.UPLOADS_CREATE,
            Permission.DISPUTES_ANSWER,
        }
    ),
    Role.CAMAT: frozenset(
        {
            Permission.FIGURES_READ_EXACT,
            Permission.ACCOUNTS_VIEW,
            Permission.PROFILE_EDIT,
            Permission.PROGRESS_READ,
        }
    ),
    Role.LURAH: frozenset(
        {
            Permission.FIGURES_READ_EXACT,
            Permission.ACCOUNTS_VIEW,
            Permission.PROFILE_EDIT,
            Permission.DISPUTES_ANSWER,
            Permission.PROGRESS_READ,
        }
    ),
    Role.KETUA_RW: frozenset({Permission.FIGURES_READ_EXACT, Permission.PROFILE_EDIT}),
    Role.KETUA_RT: frozenset(
        {Permission.FIGURES_READ_EXACT, Permission.PROFILE_EDIT, Permission.FIGURES_VERIFY}
    ),
}

# The level of area each role answers for; operators work city-wide by department.
ROLE_LEVEL: dict[Role, AreaLevel] = {
    Role.WALIDATA: AreaLevel.KOTA,
    Role.OPERATOR: AreaLevel.KOTA,
    Role.CAMAT: AreaLevel.KECAMATAN,
    Role.LURAH: AreaLevel.KELURAHAN,
    Role.KETUA_RW: AreaLevel.RW,
    Role.KETUA_RT: AreaLevel.RT,
}


@dataclass(frozen=True)
class Scope:
    """What one request may see and do. ``area_path`` None means no area at all."""

    user_id: int | None = None
    role: Role | None = None
    area_path: str | None = None
    department_id: int | None = None
    permissions: frozenset[Permission] = frozenset()

    @property
    def is_empty(self) -> bool:
        """True for the public and for any account whose scope is not valid."""
        return not self.permissions

    def can(self, permission: Permission) -> bool:
        """True if the scope holds the permission."""
        return permission in self.permissions

    def may_upload_for(self, department_id: int) -> bool:
        """True if the scope may upload and see uploads of that department."""
        if not self.can(Permission.UPLOADS_CREATE):
            return False
        return self.department_id is None or self.department_id == department_id

    def may_answer(self, department_id: int, area_path: str) -> bool:
        """True if the scope may answer a dispute of that department's figure in that area:
        the department's operator, the lurah of the area, the walidata."""
        if not self.can(Permission.DISPUTES_ANSWER) or not self.covers(area_path):
            return False
        return self.department_id is None or self.department_id == department_id

    def may_verify(self, area_path: str) -> bool:
        """True if the scope may confirm or dispute figures of that RT: its own RT head."""
        return self.can(Permission.FIGURES_VERIFY) and self.area_path == area_path

    def covers(self, path: str) -> bool:
        """True if an area (by path) lies inside the scope's subtree."""
        return self.area_path is not None and is_in_subtree(path, self.area_path)


PUBLIC_SCOPE = Scope()


def build_scope(
    *,
    user_id: int,
    role: str,
    active: bool,
    area_path: str | None,
    area_level: str | None,
    department_id: int | None,
    city_path: str | None,
) -> Scope:
    """The scope of a signed-in account, or the empty scope when anything is off."""
    try:
        role = Role(role)
    except ValueError:
        return PUBLIC_SCOPE
    if not active:
        return PUBLIC_SCOPE
    if role == Role.OPERATOR:
        if department_id is None or city_path is None:
            return PUBLIC_SCOPE
        area_path, area_level = city_path, AreaLevel.KOTA
    if area_path is None or area_level != ROLE_LEVEL[role]:
        return PUBLIC_SCOPE
    return Scope(
        user_id=user_id,
        role=role,
        area_path=area_path,
        department_id=department_id if role == Role.OPERATOR else None,
        permissions=ROLE_PERMISSIONS[role],
    )


@dataclass(frozen=True)
class Policy:
    """How a route is classified: public, or the permission a caller must hold."""

    public: bool = False
    permission: Permission | None = None
    authenticated: bool = False  # any signed-in account, even one with an empty scope

    def describe(self) -> str:
        """A short label for the route inventory."""
        if self.public:
            return "public"
        if self.permission:
            return self.permission.value
        return "signed-in"


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone."""
    view.access_policy = Policy(public=True)
    return view


def signed_in(view: Callable) -> Callable:
    """Mark a view as open to any signed-in account (sign-out, own password)."""
    view.access_policy = Policy(authenticated=True)
    return view


def requires(permission: Permission) -> Callable[[Callable], Callable]:
    """Mark a view as needing a permission; the web layer enforces it before the view."""

    def mark(view: Callable) -> Callable:
        view.access_policy = Policy(permission=permission)
        return view

    return mark


def policy_of(view: Callable | None) -> Policy | None:
    """The policy a view was marked with, or None (unclassified: denied)."""
    return getattr(view, "access_policy", None)
