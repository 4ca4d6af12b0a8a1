"""Account administration through the web: the walidata manages, camat and lurah look.

Also the audit trail page, the area page "who can see its exact figures", and the
bulk creation of ketua RT accounts with one-time activation codes.
"""

import base64
import hashlib
import io
import json
import re
import warnings
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import func
from sqlmodel import select

from tests.conftest import PASSWORDS, login
from transparency.models import Area, AreaLevel, AuditEvent, Department, Role, User
from transparency.passwords import hash_password
from transparency.services import accounts as account_service

JAKARTA = ZoneInfo("Asia/Jakarta")

USERS = "/admin/pengguna/"
CREATE = "/admin/pengguna/baru"
BULK = "/admin/pengguna/massal"
RT_PAGE = "/dasbor/wilayah/35.78.03.1005.001.001"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEMO_USERNAMES = {
    "walidata",
    "dinsos",
    "dispendik",
    "camat.rungkut",
    "lurah.wonorejo",
    "rw001.wonorejo",
    "rt001.rw001.wonorejo",
}
CODE_PATTERN = re.compile(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}")


pytestmark = pytest.mark.demo_once


# --- helpers ----------------------------------------------------------------------------


def _html(response) -> str:
    return response.get_data(as_text=True)


def _tbody(html: str) -> str:
    match = re.search(r"<tbody>(.*?)</tbody>", html, re.S)
    assert match, "no table on the page"
    return match.group(1)


def _listed(html: str) -> list[str]:
    """Usernames in the account table, in order (linked for the walidata, plain otherwise)."""
    return re.findall(r"<tr>\s*<td>(?:<a href=\"/admin/pengguna/\d+\">)?([^<\s]+)", _tbody(html))


def _table(html: str) -> list[list[str]]:
    """The account table as text: username, role, area or department, status."""
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", _tbody(html), re.S):
        cells = [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        rows.append([cells[0].split()[0], *cells[1:]])
    return rows


def _secret(html: str) -> str:
    match = re.search(r'<p class="secret">([^<]+)</p>', html)
    assert match, "no secret on the page"
    return match.group(1)


def _error(html: str) -> str:
    match = re.search(r'<p class="error[^"]*"[^>]* role="alert">([^<]+)</p>', html)
    assert match, "no error on the page"
    return match.group(1)


def _status(html: str) -> str:
    match = re.search(r'<div class="notice done" role="status"[^>]*>\s*<p><strong>([^<]+)<', html)
    assert match, "no success message on the page"
    return match.group(1)


def _user(session, username: str) -> User:
    user = session.exec(select(User).where(User.username == username)).one()
    session.refresh(user)
    return user


def _user_count(session) -> int:
    return session.exec(select(func.count()).select_from(User)).one()


def _rt_codes(session, root: str) -> set[str]:
    return set(
        session.exec(
            select(Area.code).where(Area.level == AreaLevel.RT, Area.code.startswith(root + "."))
        )
    )


def _workbook_rows(body: bytes) -> tuple[list, list, list]:
    """(notes, header, data rows) of the activation workbook."""
    sheet = load_workbook(io.BytesIO(body)).worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(rows) >= 3
    return rows[:2], rows[2], rows[3:]


class _Download:
    """The workbook linked from the bulk page's success box, and that page's text."""

    def __init__(self, response):
        html = response.get_data(as_text=True)
        found = re.search(r'href="data:([^;"]+);base64,([^"]+)" download="([^"]+)"', html)
        assert found, "no workbook link on the page"
        self.mimetype, self.filename = found.group(1), found.group(3)
        self.data = base64.b64decode(found.group(2))
        self.headers, self.html = response.headers, html


def _bulk(client, area_code: str):
    response = client.post(BULK, data={"area_code": area_code})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    download = _Download(response)
    assert download.mimetype == XLSX
    return download


def _new_client(app, username: str, password: str):
    other = app.test_client()
    response = login(other, username, password)
    assert response.status_code == 302, "sign-in failed"
    return other


@pytest.fixture
def walidata(client, demo_city):
    assert login(client, "walidata").status_code == 302
    return client


# --- list and search --------------------------------------------------------------------


def test_walidata_lists_every_account_sorted_by_username(walidata):
    html = _html(walidata.get(USERS))
    assert _listed(html) == sorted(DEMO_USERNAMES)
    assert "<p>7 akun</p>" in html
    assert '<a href="/admin/pengguna/baru">' in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=wonorejo", ["lurah.wonorejo", "rt001.rw001.wonorejo", "rw001.wonorejo"]),
        ("q=WONOREJO", ["lurah.wonorejo", "rt001.rw001.wonorejo", "rw001.wonorejo"]),
        ("q=rungkut", ["camat.rungkut", "lurah.wonorejo"]),  # by display name too
        ("q=35.78.03.1005", ["lurah.wonorejo", "rt001.rw001.wonorejo", "rw001.wonorejo"]),
        ("peran=ketua_rt", ["rt001.rw001.wonorejo"]),
        ("peran=operator", ["dinsos", "dispendik"]),
        ("peran=lurah&q=wonorejo", ["lurah.wonorejo"]),
        ("peran=camat&q=wonorejo", []),
        ("q=tidak-ada", []),
        ("peran=superuser", sorted(DEMO_USERNAMES)),  # an unknown role filters nothing
    ],
)
def test_walidata_searches_and_filters(walidata, query, expected):
    html = _html(walidata.get(f"{USERS}?{query}"))
    assert _listed(html) == expected
    assert f"<p>{len(expected)} akun</p>" in html
    if not expected:
        assert "Tidak ada akun yang ditemukan." in html


def test_deactivated_and_arealess_accounts_are_shown_as_they_are(walidata, accounts):
    assert _table(_html(walidata.get(f"{USERS}?q=rt."))) == [
        ["rt.deactivated", "Ketua RT", "35.78.03.1005.001.001", "dinonaktifkan"],
        ["rt.noarea", "Ketua RT", "—", "aktif"],
    ]
    assert _table(_html(walidata.get(f"{USERS}?peran=operator"))) == [
        ["dinsos", "Operator dinas", "dinsos", "aktif"],
        ["dispendik", "Operator dinas", "dispendik", "aktif"],
    ]


def test_account_form_pages_raise_no_deprecation_warning(walidata, demo_city):
    user = _user(demo_city, "lurah.wonorejo")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=DeprecationWarning)  # as pyproject says
        assert walidata.get(CREATE).status_code == 200
        assert walidata.get(f"{USERS}{user.id}").status_code == 200


# --- create -------------------------------------------------------------------------------


def test_create_shows_a_temporary_password_that_must_be_changed(app, walidata, demo_city):
    before = _user_count(demo_city)
    response = walidata.post(
        CREATE,
        data={
            "username": "  Lurah.Baru ",
            "display_name": "Lurah Baru Wonorejo",
            "role": "lurah",
            "area_code": "35.78.05.1005",
            "department_code": "",
        },
    )
    assert response.status_code == 200
    html = _html(response)
    assert "<h1>Akun berhasil dibuat</h1>" in html
    assert "Kata sandi sementara untuk lurah.baru, hanya ditampilkan kali ini." in html
    temporary = _secret(html)
    assert len(temporary) == 16
    assert response.headers["Cache-Control"] == "no-store"

    assert _user_count(demo_city) == before + 1
    user = _user(demo_city, "lurah.baru")
    assert user.role == Role.LURAH
    assert user.display_name == "Lurah Baru Wonorejo"
    assert demo_city.get(Area, user.area_id).code == "35.78.05.1005"
    assert user.department_id is None
    assert user.must_change_password
    assert user.active
    assert temporary not in user.password_hash

    event = demo_city.exec(select(AuditEvent).where(AuditEvent.action == "account.create")).one()
    assert (event.actor_name, event.object_type, event.object_id) == (
        "walidata",
        "user",
        str(user.id),
    )
    assert event.details == {"role": "lurah", "area": "35.78.05.1005", "department": ""}

    newcomer = _new_client(app, "lurah.baru", temporary)
    for path in ("/dasbor/", USERS):
        forced = newcomer.get(path)
        assert forced.status_code == 302
        assert forced.headers["Location"] == "/akun/kata-sandi"
    page = _html(newcomer.get("/akun/kata-sandi"))
    assert "Anda masuk dengan kata sandi sementara." in page


def test_create_an_operator_with_a_department(walidata, demo_city):
    response = walidata.post(
        CREATE,
        data={"username": "op.dinkes", "role": "operator", "department_code": "dinkes"},
    )
    assert "<h1>Akun berhasil dibuat</h1>" in _html(response)
    user = _user(demo_city, "op.dinkes")
    assert user.role == Role.OPERATOR
    assert user.area_id is None
    assert demo_city.get(Department, user.department_id).code == "dinkes"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"username": "x.baru", "role": "lurah", "area_code": "35.78.99.9999"},
            "Wilayah dengan kode 35.78.99.9999 tidak ditemukan.",
        ),
        (
            {"username": "x.baru", "role": "lurah", "area_code": "35.78.03.1005.001.001"},
            "Peran lurah harus diberi wilayah tingkat kelurahan.",
        ),
        (
            {"username": "x.baru", "role": "ketua_rt", "area_code": "35.78.03.1005"},
            "Peran ketua_rt harus diberi wilayah tingkat rt.",
        ),
        (
            {"username": "x.baru", "role": "camat", "area_code": ""},
            "Peran ini memerlukan wilayah dengan tingkat yang sesuai.",
        ),
        (
            {"username": "x.baru", "role": "operator", "department_code": ""},
            "Pilih dinas untuk operator dinas.",
        ),
        (
            {"username": "x.baru", "role": "operator", "department_code": "dinas-fiktif"},
            "Dinas dinas-fiktif tidak ditemukan.",
        ),
        (
            {"username": "lurah.wonorejo", "role": "lurah", "area_code": "35.78.03.1005"},
            "Nama pengguna tersebut sudah dipakai.",
        ),
        (
            {"username": "  LURAH.Wonorejo ", "role": "lurah", "area_code": "35.78.05.1005"},
            "Nama pengguna tersebut sudah dipakai.",
        ),
        (
            {"username": "   ", "role": "lurah", "area_code": "35.78.05.1005"},
            "Nama pengguna wajib diisi.",
        ),
    ],
)
def test_create_refuses_bad_input_with_the_exact_message(walidata, demo_city, data, message):
    before = _user_count(demo_city)
    events = demo_city.exec(select(func.count()).select_from(AuditEvent)).one()
    response = walidata.post(CREATE, data={"display_name": "", "department_code": "", **data})
    assert response.status_code == 200
    html = _html(response)
    assert _error(html) == message
    assert "Akun berhasil dibuat" not in html
    assert '<p class="secret">' not in html
    assert _user_count(demo_city) == before
    assert demo_city.exec(select(func.count()).select_from(AuditEvent)).one() == events


# --- edit, deactivate, reactivate, reset ---------------------------------------------------


def test_edit_form_is_filled_in(walidata, demo_city):
    user = _user(demo_city, "lurah.wonorejo")
    html = _html(walidata.get(f"{USERS}{user.id}"))
    assert "<h1>lurah.wonorejo</h1>" in html
    assert 'value="35.78.03.1005"' in html
    assert 'value="Lurah Wonorejo (Rungkut)"' in html
    assert '<option selected value="lurah">' in html
    assert "Akun ini aktif." in html


def test_edit_of_role_or_area_bumps_the_session_version_and_ends_sessions(app, walidata, demo_city):
    lurah = _new_client(app, "lurah.wonorejo", PASSWORDS["lurah.wonorejo"])
    assert lurah.get(USERS).status_code == 200
    user = _user(demo_city, "lurah.wonorejo")
    version = user.session_version

    # The name alone: saved, sessions kept.
    response = walidata.post(
        f"{USERS}{user.id}",
        data={"display_name": "Ibu Lurah", "role": "lurah", "area_code": "35.78.03.1005"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{USERS}{user.id}"
    assert "Akun berhasil disimpan." in _html(walidata.get(response.headers["Location"]))
    user = _user(demo_city, "lurah.wonorejo")
    assert (user.display_name, user.session_version) == ("Ibu Lurah", version)
    assert lurah.get(USERS).status_code == 200

    # The area: saved, every session of the account ends.
    response = walidata.post(
        f"{USERS}{user.id}",
        data={"display_name": "Ibu Lurah", "role": "lurah", "area_code": "35.78.05.1005"},
    )
    assert response.status_code == 302
    user = _user(demo_city, "lurah.wonorejo")
    assert demo_city.get(Area, user.area_id).code == "35.78.05.1005"
    assert user.session_version == version + 1
    assert lurah.get(USERS).headers["Location"].startswith("/masuk")

    # The role: again.
    response = walidata.post(
        f"{USERS}{user.id}",
        data={"display_name": "Pak Camat", "role": "camat", "area_code": "35.78.05"},
    )
    assert response.status_code == 302
    user = _user(demo_city, "lurah.wonorejo")
    assert user.role == Role.CAMAT
    assert user.session_version == version + 2
    actions = demo_city.exec(
        select(AuditEvent.action).where(AuditEvent.object_id == str(user.id))
    ).all()
    assert actions == ["account.update"] * 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"role": "ketua_rw", "area_code": "35.78.03.1005"},
            "Peran ketua_rw harus diberi wilayah tingkat rw.",
        ),
        (
            {"role": "ketua_rw", "area_code": "35.78.03.1005.999"},
            "Wilayah dengan kode 35.78.03.1005.999 tidak ditemukan.",
        ),
        ({"role": "operator", "area_code": ""}, "Pilih dinas untuk operator dinas."),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(walidata, demo_city, data, message):
    user = _user(demo_city, "rw001.wonorejo")
    version = user.session_version
    response = walidata.post(
        f"{USERS}{user.id}", data={"display_name": "x", "department_code": "", **data}
    )
    assert response.status_code == 200
    assert _error(_html(response)) == message
    user = _user(demo_city, "rw001.wonorejo")
    assert user.role == Role.KETUA_RW
    assert demo_city.get(Area, user.area_id).code == "35.78.03.1005.001"
    assert (user.display_name, user.session_version) == ("Ketua RW 001 Wonorejo", version)


def test_edit_of_an_unknown_account_is_404(walidata):
    assert walidata.get(f"{USERS}999999").status_code == 404


def test_deactivate_and_reactivate(app, walidata, demo_city):
    rt = _new_client(app, "rt001.rw001.wonorejo", PASSWORDS["rt001.rw001.wonorejo"])
    assert rt.get(RT_PAGE).status_code == 200
    user = _user(demo_city, "rt001.rw001.wonorejo")
    version = user.session_version

    response = walidata.post(f"{USERS}{user.id}/nonaktifkan")
    assert response.status_code == 302
    html = _html(walidata.get(response.headers["Location"]))
    assert "Akun dinonaktifkan; semua sesinya telah diakhiri." in html
    assert "Akun ini dinonaktifkan." in html
    user = _user(demo_city, "rt001.rw001.wonorejo")
    assert not user.active
    assert user.session_version == version + 1
    assert rt.get(RT_PAGE).headers["Location"].startswith("/masuk")
    assert login(app.test_client(), "rt001.rw001.wonorejo").status_code == 200  # refused
    assert _listed(_html(walidata.get(f"{USERS}?peran=ketua_rt"))) == ["rt001.rw001.wonorejo"]

    response = walidata.post(f"{USERS}{user.id}/aktifkan")
    assert response.status_code == 302
    assert "Akun aktif kembali." in _html(walidata.get(response.headers["Location"]))
    user = _user(demo_city, "rt001.rw001.wonorejo")
    assert user.active
    assert user.session_version == version + 2
    assert login(app.test_client(), "rt001.rw001.wonorejo").status_code == 302

    actions = demo_city.exec(
        select(AuditEvent.action)
        .where(AuditEvent.object_id == str(user.id), AuditEvent.actor_name == "walidata")
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["account.deactivate", "account.activate_flag"]


def test_reset_password_shows_a_new_temporary_password(app, walidata, demo_city):
    camat = _new_client(app, "camat.rungkut", PASSWORDS["camat.rungkut"])
    user = _user(demo_city, "camat.rungkut")
    version = user.session_version

    response = walidata.post(f"{USERS}{user.id}/reset-sandi")
    assert response.status_code == 200
    html = _html(response)
    assert "<h1>Kata sandi diatur ulang</h1>" in html
    assert "Kata sandi sementara untuk camat.rungkut" in html
    temporary = _secret(html)
    assert response.headers["Cache-Control"] == "no-store"

    user = _user(demo_city, "camat.rungkut")
    assert user.session_version == version + 1
    assert user.must_change_password
    assert camat.get(USERS).headers["Location"].startswith("/masuk")
    assert login(app.test_client(), "camat.rungkut").status_code == 200  # old password refused
    fresh = _new_client(app, "camat.rungkut", temporary)
    assert fresh.get(USERS).headers["Location"] == "/akun/kata-sandi"

    again = _secret(_html(walidata.post(f"{USERS}{user.id}/reset-sandi")))
    assert again != temporary
    event = demo_city.exec(
        select(AuditEvent).where(AuditEvent.action == "account.reset_password")
    ).first()
    assert temporary not in json.dumps(event.details) + event.object_id


# --- bulk ketua RT accounts ------------------------------------------------------------------


def test_bulk_creates_one_account_per_uncovered_rt_of_the_kelurahan(app, walidata, demo_city):
    rts = _rt_codes(demo_city, "35.78.03.1005")
    assert len(rts) == 40
    covered = {"35.78.03.1005.001.001"}  # the demo ketua RT
    users_before = _user_count(demo_city)

    response = _bulk(walidata, "35.78.03.1005")
    assert response.filename == "aktivasi-ketua-rt-35.78.03.1005.xlsx"
    assert response.headers["Cache-Control"] == "no-store"
    # The page says what was done, and no refusal is left on it.
    assert _status(response.html) == "39 akun ketua RT baru untuk Wonorejo."
    assert 'class="error' not in response.html
    notes, header, rows = _workbook_rows(response.data)
    assert notes[0][0] == "Akun ketua RT untuk Wonorejo: 39 akun baru."
    assert header == [
        "Kecamatan",
        "Kelurahan",
        "RW",
        "RT",
        "Nama pengguna",
        "Kode aktivasi",
        "Berlaku sampai",
    ]
    assert len(rows) == len(rts) - len(covered) == 39
    usernames = [row[4] for row in rows]
    assert usernames == sorted("rt." + code for code in rts - covered)
    codes = [row[5] for row in rows]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert len(code) == 14
        assert CODE_PATTERN.fullmatch(code), code
        assert set(code.replace("-", "")) <= set(account_service.ACTIVATION_ALPHABET), code
    expiry = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert {row[6] for row in rows} == {expiry}
    first = rows[0]
    assert first[:4] == ["Rungkut", "Wonorejo", "RW 001", "RT 002"]

    assert _user_count(demo_city) == users_before + 39
    for username, code in zip(usernames, codes, strict=True):
        user = _user(demo_city, username)
        assert user.role == Role.KETUA_RT
        assert demo_city.get(Area, user.area_id).code == username.removeprefix("rt.")
        assert user.password_hash == ""
        assert user.must_change_password
        assert user.activation_code_hash != code
        assert code.replace("-", "") not in user.activation_code_hash
        expected = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
        assert user.activation_code_hash == expected

    events = demo_city.exec(select(AuditEvent)).all()
    dump = json.dumps(
        [[e.action, e.actor_name, e.object_type, e.object_id, e.details] for e in events]
    )
    for code in codes:
        assert code not in dump and code.replace("-", "") not in dump
    bulk = [e for e in events if e.action == "account.bulk_create"]
    assert [(e.object_id, e.details) for e in bulk] == [("35.78.03.1005", {"created": 39})]

    listed = _html(walidata.get(f"{USERS}?q=rt.35.78.03.1005.001.002"))
    assert "menunggu aktivasi" in listed

    # A second run creates nothing.
    notes, header, rows = _workbook_rows(_bulk(walidata, "35.78.03.1005").data)
    assert rows == []
    assert notes[0][0] == "Akun ketua RT untuk Wonorejo: 0 akun baru."
    assert _user_count(demo_city) == users_before + 39

    # A code works once at /aktivasi.
    username, code = usernames[0], codes[0]
    data = {"username": username, "code": code.lower(), "new": "kopi tubruk di pos ronda"}
    data["confirm"] = data["new"]
    assert app.test_client().post("/aktivasi", data=data).status_code == 302
    user = _user(demo_city, username)
    assert user.activation_code_hash == "" and not user.must_change_password
    assert app.test_client().post("/aktivasi", data=data).status_code == 200


def test_bulk_for_the_whole_demo_in_one_post(walidata, demo_city):
    rts = _rt_codes(demo_city, "35.78")
    assert len(rts) == 40 + 55 + 164
    notes, _, rows = _workbook_rows(_bulk(walidata, "35.78").data)
    assert len(rows) == len(rts) - 1
    assert {row[4] for row in rows} | {"rt.35.78.03.1005.001.001"} == {"rt." + c for c in rts}
    assert len({row[5] for row in rows}) == len(rows)
    assert notes[0][0] == f"Akun ketua RT untuk Kota Surabaya: {len(rts) - 1} akun baru."
    kelurahan = {(row[0], row[1]) for row in rows}
    assert kelurahan == {
        ("Rungkut", "Wonorejo"),
        ("Tegalsari", "Wonorejo"),
        ("Pabean Cantian", "Tanjung Perak"),
    }


def test_bulk_of_a_kecamatan_counts_only_active_ketua_rt_accounts(walidata, accounts, session):
    # RT 35.78.03.1005.001.001 has the demo ketua RT and rt.deactivated (inactive).
    notes, _, rows = _workbook_rows(_bulk(walidata, "35.78.03").data)
    assert notes[0][0] == "Akun ketua RT untuk Rungkut: 39 akun baru."
    assert "rt.35.78.03.1005.001.001" not in {row[4] for row in rows}

    # Once the demo ketua RT is deactivated too, that RT gets an account of its own.
    demo_rt = _user(session, "rt001.rw001.wonorejo")
    demo_rt.active = False
    session.add(demo_rt)
    session.commit()
    notes, _, rows = _workbook_rows(_bulk(walidata, "35.78.03").data)
    assert notes[0][0] == "Akun ketua RT untuk Rungkut: 1 akun baru."
    assert [row[4] for row in rows] == ["rt.35.78.03.1005.001.001"]


@pytest.mark.parametrize("code", ["35.78.03.1005.001", "35.78.03.1005.001.001", "99.99", " "])
def test_bulk_refuses_an_area_that_is_not_kota_kecamatan_or_kelurahan(walidata, demo_city, code):
    before = _user_count(demo_city)
    response = walidata.post(BULK, data={"area_code": code})
    assert response.status_code == 422
    assert response.mimetype == "text/html"
    html = _html(response)
    assert _error(html) == "Masukkan kode kota, kecamatan, atau kelurahan."
    # Next to the field, which keeps the entry and points at the message.
    assert 'aria-describedby="fout-area_code"' in html
    assert f'value="{code}"' in html
    assert _user_count(demo_city) == before


# --- camat and lurah look, but may not change ---------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        (
            "camat.rungkut",
            ["camat.rungkut", "lurah.wonorejo", "rt001.rw001.wonorejo", "rw001.wonorejo"],
        ),
        ("lurah.wonorejo", ["lurah.wonorejo", "rt001.rw001.wonorejo", "rw001.wonorejo"]),
    ],
)
def test_officials_see_only_the_accounts_of_their_area(client, demo_city, username, expected):
    assert login(client, username).status_code == 302
    html = _html(client.get(USERS))
    assert _listed(html) == expected
    assert f"<p>{len(expected)} akun</p>" in html
    for other in ("walidata", "dinsos", "dispendik"):
        assert other not in _listed(html)
    assert "Anda dapat melihat akun di wilayah Anda." in html
    assert '<a href="/admin/pengguna/' not in _tbody(html)
    assert '<a href="/admin/pengguna/baru">' not in html
    # Searching cannot reach beyond the area.
    assert _listed(_html(client.get(f"{USERS}?q=walidata"))) == []
    assert _listed(_html(client.get(f"{USERS}?peran=operator"))) == []


def test_officials_see_nothing_of_the_other_wonorejo(client, demo_city, session):
    # A lurah for the other Wonorejo (Tegalsari): does not see Rungkut's accounts.
    tegalsari = session.exec(select(Area).where(Area.code == "35.78.05.1005")).one()
    session.add(
        User(
            username="lurah.wonorejo.tegalsari",
            role=Role.LURAH,
            area_id=tegalsari.id,
            password_hash=hash_password("tegalsari-lurah-2026"),
            must_change_password=False,
        )
    )
    session.commit()
    login(client, "lurah.wonorejo.tegalsari", "tegalsari-lurah-2026")
    assert _listed(_html(client.get(USERS))) == ["lurah.wonorejo.tegalsari"]
    assert _listed(_html(client.get(f"{USERS}?q=wonorejo"))) == ["lurah.wonorejo.tegalsari"]


@pytest.mark.parametrize("username", ["camat.rungkut", "lurah.wonorejo"])
def test_officials_may_not_change_accounts(client, demo_city, username):
    assert login(client, username).status_code == 302
    target = _user(demo_city, "rt001.rw001.wonorejo")
    version, users = target.session_version, _user_count(demo_city)
    attempts = [
        ("get", CREATE, None),
        ("post", CREATE, {"username": "x.baru", "role": "lurah", "area_code": "35.78.03.1005"}),
        ("get", f"{USERS}{target.id}", None),
        ("post", f"{USERS}{target.id}", {"role": "walidata", "area_code": "35.78"}),
        ("post", f"{USERS}{target.id}/nonaktifkan", {}),
        ("post", f"{USERS}{target.id}/aktifkan", {}),
        ("post", f"{USERS}{target.id}/reset-sandi", {}),
        ("get", BULK, None),
        ("post", BULK, {"area_code": "35.78.03.1005"}),
        ("get", "/admin/audit", None),
        ("get", "/admin/wilayah/35.78.03.1005", None),
    ]
    for method, path, data in attempts:
        response = getattr(client, method)(path, data=data)
        assert response.status_code == 403, (method, path)
    target = _user(demo_city, "rt001.rw001.wonorejo")
    assert (target.role, target.active, target.session_version) == (
        Role.KETUA_RT,
        True,
        version,
    )
    assert _user_count(demo_city) == users
    denied = demo_city.exec(
        select(AuditEvent.object_id).where(
            AuditEvent.action == "access.denied", AuditEvent.actor_name == username
        )
    ).all()
    assert len(denied) == len(attempts)


@pytest.mark.parametrize("username", ["dinsos", "rw001.wonorejo", "rt001.rw001.wonorejo"])
def test_other_roles_may_not_even_list_accounts(client, demo_city, username):
    assert login(client, username).status_code == 302
    assert client.get(USERS).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, demo_city):
    for path in (USERS, CREATE, BULK, "/admin/audit", "/admin/wilayah/35.78"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/masuk")


# --- the audit trail -------------------------------------------------------------------------

AUDIT_ROW = re.compile(  # the time in Jakarta, actor, action, object and outcome codes
    r"<tr><td data-at=\"([^\"]+)\">[^<]+</td><td>([^<]+)<span class=\"code\">[^<]*</span></td>\s*"
    r"<td data-action=\"([^\"]+)\">[^<]+</td><td>([^<]*)</td>"
    r"<td data-outcome=\"([^\"]+)\">[^<]+</td></tr>"
)


def _audit(client, query: str = "") -> list[tuple[str, str, str, str, str]]:
    html = _html(client.get(f"/admin/audit?{query}"))
    return [tuple(part.strip() for part in row) for row in AUDIT_ROW.findall(html)]


@pytest.fixture
def planted(demo_city):
    """Audit events at known moments, around a day boundary in Jakarta (WIB, as shown)."""
    moments = [
        ("2026-01-31T23:59:59", "login", "lurah.wonorejo", "ok"),
        ("2026-02-01T00:00:00", "login", "lurah.wonorejo", "failed"),
        ("2026-02-01T12:30:00", "account.create", "walidata", "ok"),
        ("2026-02-02T23:59:59", "access.denied", "camat.rungkut", "denied"),
        ("2026-02-03T00:00:00", "login.throttled", "camat.rungkut", "throttled"),
    ]
    for at, action, actor, outcome in moments:
        demo_city.add(
            AuditEvent(
                at=datetime.fromisoformat(at).replace(tzinfo=JAKARTA).astimezone(UTC),
                action=action,
                actor_name=actor,
                outcome=outcome,
                object_type="test",
                object_id=at,
            )
        )
    demo_city.commit()


def test_audit_filters_by_date_action_actor_and_outcome(walidata, planted):
    window = "dari=2026-01-01&sampai=2026-03-01"
    assert _audit(walidata, window) == [
        (
            "2026-02-03 00:00:00",
            "camat.rungkut",
            "login.throttled",
            "test 2026-02-03T00:00:00",
            "throttled",
        ),
        (
            "2026-02-02 23:59:59",
            "camat.rungkut",
            "access.denied",
            "test 2026-02-02T23:59:59",
            "denied",
        ),
        ("2026-02-01 12:30:00", "walidata", "account.create", "test 2026-02-01T12:30:00", "ok"),
        ("2026-02-01 00:00:00", "lurah.wonorejo", "login", "test 2026-02-01T00:00:00", "failed"),
        ("2026-01-31 23:59:59", "lurah.wonorejo", "login", "test 2026-01-31T23:59:59", "ok"),
    ]

    def times(query):
        return [row[0] for row in _audit(walidata, query)]

    assert times("dari=2026-02-01&sampai=2026-02-01") == [
        "2026-02-01 12:30:00",
        "2026-02-01 00:00:00",
    ]
    assert times("dari=2026-02-02&sampai=2026-02-02") == ["2026-02-02 23:59:59"]
    assert times("sampai=2026-01-31") == ["2026-01-31 23:59:59"]
    assert times("dari=2026-02-03&sampai=2026-02-28") == ["2026-02-03 00:00:00"]
    assert times("dari=2026-02-04&sampai=2026-02-28") == []
    assert times(f"{window}&aksi=login") == [
        "2026-02-03 00:00:00",  # "login" is a prefix of "login.throttled"
        "2026-02-01 00:00:00",
        "2026-01-31 23:59:59",
    ]
    assert times(f"{window}&aksi=login&hasil=ok") == ["2026-01-31 23:59:59"]
    assert times(f"{window}&pelaku=CAMAT.rungkut") == ["2026-02-03 00:00:00", "2026-02-02 23:59:59"]
    assert times(f"{window}&pelaku=camat") == []  # the actor is matched exactly
    assert times(f"{window}&hasil=denied") == ["2026-02-02 23:59:59"]
    assert times(f"{window}&aksi=account&pelaku=walidata&hasil=ok") == ["2026-02-01 12:30:00"]
    html = _html(walidata.get(f"/admin/audit?{window}&hasil=failed"))
    assert "<p>1 catatan</p>" in html
    empty = _html(walidata.get("/admin/audit?dari=2025-01-01&sampai=2025-01-02"))
    assert "<p>0 catatan</p>" in empty and "Tidak ada catatan." in empty


def test_audit_ignores_a_malformed_date(walidata, planted):
    rows = _audit(walidata, "dari=kemarin&sampai=2026-02-31&aksi=login&pelaku=lurah.wonorejo")
    assert [row[0] for row in rows] == ["2026-02-01 00:00:00", "2026-01-31 23:59:59"]


def test_sign_ins_and_account_changes_appear_with_wib_timestamps(app, walidata, demo_city):
    start = datetime.now(UTC).replace(microsecond=0)
    login(app.test_client(), "lurah.wonorejo", "salah-sandi-sekali")
    login(app.test_client(), "lurah.wonorejo")
    walidata.post(
        CREATE, data={"username": "rw.baru", "role": "ketua_rw", "area_code": "35.78.03.1005.002"}
    )
    user = _user(demo_city, "rw.baru")
    walidata.post(f"{USERS}{user.id}/nonaktifkan")
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)

    today = start.astimezone(JAKARTA).strftime("%Y-%m-%d")
    rows = _audit(walidata, f"dari={today}&sampai={end.astimezone(JAKARTA).strftime('%Y-%m-%d')}")
    assert [(actor, action, obj, outcome) for _, actor, action, obj, outcome in rows] == [
        ("walidata", "account.deactivate", f"user {user.id}", "ok"),
        ("walidata", "account.create", f"user {user.id}", "ok"),
        ("lurah.wonorejo", "login", "", "ok"),
        ("lurah.wonorejo", "login", "", "failed"),
        ("walidata", "login", "", "ok"),
    ]
    for row in rows:
        moment = datetime.strptime(row[0], "%Y-%m-%d %H:%M:%S").replace(tzinfo=JAKARTA)
        assert start - timedelta(seconds=1) <= moment <= end
    assert "Waktu (WIB)" in _html(walidata.get("/admin/audit"))
    failed = _audit(walidata, f"dari={today}&aksi=login&hasil=failed&pelaku=lurah.wonorejo")
    assert len(failed) == 1


# --- who can see an area's exact figures -------------------------------------------------------

VIEWER_ROW = re.compile(r"<tr><td>([^<]+)<span class=\"code\">")


def test_area_page_lists_exactly_the_accounts_that_see_an_rt(walidata, accounts):
    html = _html(walidata.get("/admin/wilayah/35.78.03.1005.001.001"))
    # City first, then departments, then the area chain, each by username.
    assert VIEWER_ROW.findall(html) == [
        "walidata",
        "dinsos",
        "dispendik",
        "camat.rungkut",
        "lurah.wonorejo",
        "rt001.rw001.wonorejo",
        "rw001.wonorejo",
    ]
    # The deactivated ketua RT, the one without an area and the lurah on an RT do not.
    for username in ("rt.deactivated", "rt.noarea", "lurah.wronglevel"):
        assert username not in html
    assert "seluruh kota: Kota Surabaya (35.78)" in html
    assert "bertanggung jawab atas Wonorejo (35.78.03.1005)" in html
    assert "bertanggung jawab atas RT 001 (35.78.03.1005.001.001)" in html


def test_area_page_of_the_other_wonorejo_lists_only_city_wide_accounts(walidata, demo_city):
    html = _html(walidata.get("/admin/wilayah/35.78.05.1005"))
    assert VIEWER_ROW.findall(html) == ["walidata", "dinsos", "dispendik"]
    assert "indikator " in html and "seluruh kota" in html


def test_area_page_of_another_rt_of_the_same_rw(walidata, demo_city):
    html = _html(walidata.get("/admin/wilayah/35.78.03.1005.001.002"))
    assert VIEWER_ROW.findall(html) == [
        "walidata",
        "dinsos",
        "dispendik",
        "camat.rungkut",
        "lurah.wonorejo",
        "rw001.wonorejo",
    ]


def test_area_page_of_an_unknown_code_is_404(walidata):
    assert walidata.get("/admin/wilayah/35.78.99").status_code == 404
