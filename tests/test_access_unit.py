"""The pure access rules: the scope each role gets, default deny, and the permission table."""

import pytest

from transparency.access import (
    PUBLIC_SCOPE,
    ROLE_LEVEL,
    ROLE_PERMISSIONS,
    Permission,
    Scope,
    build_scope,
)
from transparency.models import AreaLevel, Role

CITY = "35.78"
KECAMATAN = "35.78.03"
KELURAHAN = "35.78.03.1005"
RW = "35.78.03.1005.001"
RT = "35.78.03.1005.001.001"
PATH_OF_LEVEL = {
    AreaLevel.KOTA: CITY,
    AreaLevel.KECAMATAN: KECAMATAN,
    AreaLevel.KELURAHAN: KELURAHAN,
    AreaLevel.RW: RW,
    AreaLevel.RT: RT,
}
AREA_ROLES = [Role.WALIDATA, Role.CAMAT, Role.LURAH, Role.KETUA_RW, Role.KETUA_RT]


def scope_for(
    role: str,
    *,
    active: bool = True,
    area_path: str | None = None,
    area_level: str | None = None,
    department_id: int | None = None,
    city_path: str | None = CITY,
) -> Scope:
    return build_scope(
        user_id=7,
        role=role,
        active=active,
        area_path=area_path,
        area_level=area_level,
        department_id=department_id,
        city_path=city_path,
    )


def assert_empty(scope: Scope) -> None:
    """The empty scope: no permission, no area, covers nothing."""
    assert scope == PUBLIC_SCOPE
    assert scope.is_empty
    assert scope.area_path is None and scope.role is None and scope.user_id is None
    for permission in Permission:
        assert not scope.can(permission), permission
    for path in (CITY, KECAMATAN, KELURAHAN, RW, RT, ""):
        assert not scope.covers(path), path


# --- build_scope: the right level gives the role's scope ------------------------------


@pytest.mark.parametrize(
    ("role", "level"),
    [
        (Role.WALIDATA, AreaLevel.KOTA),
        (Role.CAMAT, AreaLevel.KECAMATAN),
        (Role.LURAH, AreaLevel.KELURAHAN),
        (Role.KETUA_RW, AreaLevel.RW),
        (Role.KETUA_RT, AreaLevel.RT),
    ],
)
def test_area_role_at_its_own_level_gets_its_area_and_permissions(role, level):
    path = PATH_OF_LEVEL[level]
    scope = scope_for(role.value, area_path=path, area_level=level.value, department_id=3)
    assert scope.user_id == 7
    assert scope.role is role
    assert scope.area_path == path
    assert scope.department_id is None  # only operators keep a department
    assert scope.permissions == ROLE_PERMISSIONS[role]
    assert not scope.is_empty
    assert scope.covers(path)
    assert scope.covers(RT)  # every scope of the chain holds the demo RT
    assert scope.can(Permission.FIGURES_READ_EXACT)


def test_operator_works_city_wide_for_its_department():
    scope = scope_for(Role.OPERATOR.value, department_id=4)
    assert scope.role is Role.OPERATOR
    assert scope.area_path == CITY
    assert scope.department_id == 4
    assert scope.permissions == frozenset(
        {
            Permission.FIGURES_READ_EXACT,
            Permission.PROFILE_EDIT,
            Permission.UPLOADS_CREATE,
            Permission.DISPUTES_ANSWER,
        }
    )
    assert scope.covers(CITY) and scope.covers(RT) and scope.covers("35.78.31.1001.002.003")
    assert not scope.covers("35.79.01.1001")  # another city


def test_operator_ignores_an_area_it_was_given():
    scope = scope_for(
        Role.OPERATOR.value, area_path=RT, area_level=AreaLevel.RT.value, department_id=4
    )
    assert scope.area_path == CITY


@pytest.mark.parametrize(
    ("role", "level"),
    [(role, level) for role in AREA_ROLES for level in AreaLevel if level != ROLE_LEVEL[role]],
)
def test_area_role_at_any_other_level_gets_the_empty_scope(role, level):
    assert_empty(scope_for(role.value, area_path=PATH_OF_LEVEL[level], area_level=level.value))


@pytest.mark.parametrize("role", AREA_ROLES)
def test_area_role_without_an_area_gets_the_empty_scope(role):
    assert_empty(scope_for(role.value, area_path=None, area_level=None))
    # A path without a level, or a level without a path, is no better.
    assert_empty(scope_for(role.value, area_path=PATH_OF_LEVEL[ROLE_LEVEL[role]]))
    assert_empty(scope_for(role.value, area_level=ROLE_LEVEL[role].value))


@pytest.mark.parametrize("role", list(Role))
def test_inactive_account_gets_the_empty_scope(role):
    level = ROLE_LEVEL[role]
    assert_empty(
        scope_for(
            role.value,
            active=False,
            area_path=PATH_OF_LEVEL[level],
            area_level=level.value,
            department_id=4,
        )
    )


@pytest.mark.parametrize("role", ["", "admin", "superuser", "WALIDATA", "Lurah", "ketua rt", "rt"])
def test_unknown_role_string_gets_the_empty_scope(role):
    assert_empty(scope_for(role, area_path=CITY, area_level=AreaLevel.KOTA.value, department_id=4))


def test_operator_without_department_gets_the_empty_scope():
    assert_empty(scope_for(Role.OPERATOR.value, department_id=None))
    assert_empty(scope_for(Role.OPERATOR.value, area_path=CITY, area_level=AreaLevel.KOTA.value))


def test_operator_without_a_city_gets_the_empty_scope():
    assert_empty(scope_for(Role.OPERATOR.value, department_id=4, city_path=None))


def test_public_scope_is_empty():
    assert_empty(PUBLIC_SCOPE)
    assert_empty(Scope())


# --- covers: separator-aware subtree ---------------------------------------------------


def test_lurah_covers_exactly_its_kelurahan_subtree():
    lurah = scope_for(Role.LURAH.value, area_path=KELURAHAN, area_level="kelurahan")
    covered = [KELURAHAN, RW, RT, "35.78.03.1005.012", "35.78.03.1005.012.009"]
    not_covered = [
        "35.78.03.10050.001.001",  # a longer code with the same prefix
        "35.78.03.10050",
        "35.78.03.1006.001.001",  # the next kelurahan
        "35.78.03.1006",
        "35.78.03.100",  # a prefix of the code
        "35.78.03",  # the parent
        "35.78",
        "35.78.05.1005.001.001",  # the other Wonorejo, in Tegalsari
        "35.78.03.1005/001",  # the character right after the separator
        "35.78.03.1005-001",
        "",
    ]
    for path in covered:
        assert lurah.covers(path), path
    for path in not_covered:
        assert not lurah.covers(path), path


def test_ketua_rt_covers_only_its_rt():
    rt = scope_for(Role.KETUA_RT.value, area_path=RT, area_level="rt")
    assert rt.covers(RT)
    for path in ("35.78.03.1005.001.002", "35.78.03.1005.001.0010", RW, KELURAHAN, CITY):
        assert not rt.covers(path), path


def test_camat_covers_its_kecamatan_and_not_its_neighbour_with_a_longer_code():
    camat = scope_for(Role.CAMAT.value, area_path=KECAMATAN, area_level="kecamatan")
    assert camat.covers(RT) and camat.covers(KECAMATAN)
    assert not camat.covers("35.78.030.1005")
    assert not camat.covers("35.78.31.1001")
    assert not camat.covers("35.78.05.1005.001.001")


# --- the permission table ---------------------------------------------------------------

EXPECTED_PERMISSIONS = {
    Role.WALIDATA: {
        "figures:read-exact",
        "accounts:view",
        "accounts:manage",
        "audit:read",
        "areas:admin",
        "profile:edit",
        "uploads:create",
        "uploads:restore",
        "publications:manage",
        "disputes:answer",
        "progress:read",
    },
    Role.OPERATOR: {"figures:read-exact", "profile:edit", "uploads:create", "disputes:answer"},
    Role.CAMAT: {"figures:read-exact", "accounts:view", "profile:edit", "progress:read"},
    Role.LURAH: {
        "figures:read-exact",
        "accounts:view",
        "profile:edit",
        "disputes:answer",
        "progress:read",
    },
    Role.KETUA_RW: {"figures:read-exact", "profile:edit"},
    Role.KETUA_RT: {"figures:read-exact", "profile:edit", "figures:verify"},
}


def test_every_role_has_a_permission_row_and_a_level():
    assert set(ROLE_PERMISSIONS) == set(Role)
    assert set(ROLE_LEVEL) == set(Role)
    # The walidata holds every permission but speaking for an RT's figures.
    assert {p.value for p in Permission} == EXPECTED_PERMISSIONS[Role.WALIDATA] | {"figures:verify"}


@pytest.mark.parametrize("role", list(Role))
def test_role_permissions_are_exactly_the_table(role):
    assert {p.value for p in ROLE_PERMISSIONS[role]} == EXPECTED_PERMISSIONS[role]


@pytest.mark.parametrize(
    ("permission", "holders"),
    [
        (Permission.ACCOUNTS_MANAGE, {Role.WALIDATA}),
        (Permission.AUDIT_READ, {Role.WALIDATA}),
        (Permission.AREAS_ADMIN, {Role.WALIDATA}),
        (Permission.ACCOUNTS_VIEW, {Role.WALIDATA, Role.CAMAT, Role.LURAH}),
        (Permission.FIGURES_READ_EXACT, set(Role)),
        (Permission.PROFILE_EDIT, set(Role)),
        (Permission.UPLOADS_CREATE, {Role.WALIDATA, Role.OPERATOR}),
        (Permission.UPLOADS_RESTORE, {Role.WALIDATA}),
        (Permission.PUBLICATIONS_MANAGE, {Role.WALIDATA}),
        (Permission.FIGURES_VERIFY, {Role.KETUA_RT}),
        (Permission.DISPUTES_ANSWER, {Role.WALIDATA, Role.OPERATOR, Role.LURAH}),
        (Permission.PROGRESS_READ, {Role.WALIDATA, Role.CAMAT, Role.LURAH}),
    ],
)
def test_who_holds_each_permission(permission, holders):
    assert {role for role, granted in ROLE_PERMISSIONS.items() if permission in granted} == holders


def test_ketua_rt_scope_can_exactly_read_figures_and_edit_its_profile():
    scope = scope_for(Role.KETUA_RT.value, area_path=RT, area_level="rt")
    allowed = {p for p in Permission if scope.can(p)}
    assert allowed == {
        Permission.FIGURES_READ_EXACT,
        Permission.PROFILE_EDIT,
        Permission.FIGURES_VERIFY,
    }


def test_role_levels():
    assert ROLE_LEVEL == {
        Role.WALIDATA: AreaLevel.KOTA,
        Role.OPERATOR: AreaLevel.KOTA,
        Role.CAMAT: AreaLevel.KECAMATAN,
        Role.LURAH: AreaLevel.KELURAHAN,
        Role.KETUA_RW: AreaLevel.RW,
        Role.KETUA_RT: AreaLevel.RT,
    }


def test_who_may_verify_and_answer_a_dispute():
    rt_head = scope_for(Role.KETUA_RT.value, area_path=RT, area_level="rt")
    assert rt_head.may_verify(RT)
    assert not rt_head.may_verify(RT[:-1] + "2")
    assert not rt_head.may_answer(4, RT)
    operator = scope_for(Role.OPERATOR.value, department_id=4)
    assert operator.may_answer(4, RT) and not operator.may_answer(5, RT)
    assert not operator.may_verify(RT)
    lurah = scope_for(Role.LURAH.value, area_path=RT.rsplit(".", 2)[0], area_level="kelurahan")
    assert lurah.may_answer(4, RT) and lurah.may_answer(5, RT)
    assert not lurah.may_answer(4, "35.78.05.1005.001.001")
    camat = scope_for(Role.CAMAT.value, area_path=RT.rsplit(".", 3)[0], area_level="kecamatan")
    assert not camat.may_answer(4, RT)
