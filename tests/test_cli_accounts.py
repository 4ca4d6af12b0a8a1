"""The first walidata of a production city: no default password, a one-time code instead."""

import re

from sqlmodel import select

from transparency.models import AuditEvent, Role, User


def test_create_walidata_prints_a_one_time_code_that_activates(runner, client, session):
    result = runner.invoke(args=["accounts", "create-walidata", "kominfo.data"])
    assert result.exit_code == 0, result.output
    code = re.search(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b", result.output).group(1)
    user = session.exec(select(User).where(User.username == "kominfo.data")).one()
    assert user.role == Role.WALIDATA
    assert user.password_hash == ""  # no password exists until the code is used
    assert code not in user.activation_code_hash
    audit_text = " ".join(str(e.details) + e.object_id for e in session.exec(select(AuditEvent)))
    assert code not in audit_text

    new_password = "menara informasi kota 2026"
    activated = client.post(
        "/aktivasi",
        data={
            "username": "kominfo.data",
            "code": code,
            "new": new_password,
            "confirm": new_password,
        },
    )
    assert activated.status_code == 302
    signed_in = client.post("/masuk", data={"username": "kominfo.data", "password": new_password})
    assert signed_in.status_code == 302
    assert client.get("/admin/pengguna/").status_code == 200


def test_create_walidata_refuses_a_taken_username(runner, session):
    assert runner.invoke(args=["accounts", "create-walidata", "kominfo.data"]).exit_code == 0
    again = runner.invoke(args=["accounts", "create-walidata", "kominfo.data"])
    assert again.exit_code == 1
    assert "Traceback" not in again.output
    assert len(session.exec(select(User).where(User.username == "kominfo.data")).all()) == 1
