"""A department's pages: its indicators city-wide, completeness by kecamatan and kelurahan,
the disputes waiting for its answer, and a link to its upload history."""

from flask import Blueprint, render_template, request
from sqlmodel import select

from transparency import dashboards, queries
from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.forms import AnswerForm
from transparency.models import AreaLevel, Department
from transparency.security import current_scope, deny
from transparency.views.dashboard import _name

bp = Blueprint("department", __name__, url_prefix="/dasbor")


@bp.get("/dinas/<code>")
@requires(Permission.UPLOADS_CREATE)
def page(code: str):
    """Completeness of the department's latest figures by kecamatan (or, with
    ``?kecamatan=``, by kelurahan), the chosen indicator (``?indikator=``) in the first
    column so that a phone shows it, and the department's open disputes."""
    db, scope = get_session(), current_scope()
    department = db.exec(select(Department).where(Department.code == code)).first()
    if department is None or not scope.may_upload_for(department.id):
        deny("department out of scope or unknown", status=404, department=code)
    parent = queries.get_root(db)
    kecamatan = queries.get_area(db, request.args.get("kecamatan", ""))
    if kecamatan is not None and kecamatan.level == AreaLevel.KECAMATAN:
        parent = kecamatan
    items = dashboards.department_indicators(db, department)
    wanted = request.args.get("indikator")
    chosen = next((i for i in items if i.indicator.code == wanted), items[0] if items else None)
    disputes = [
        d
        for d in dashboards.list_disputes(db, scope, open_only=True)
        if d.indicator.department_id == department.id
    ]
    return render_template(
        "dashboard/department.html",
        department=department,
        items=items,
        parent=parent,
        rows=dashboards.completeness(db, scope, department, items, parent),
        chosen=chosen,
        columns=[chosen, *(i for i in items if i is not chosen)] if chosen else [],
        disputes=disputes,
        answer_form=AnswerForm(),
        scope=scope,
        name=_name,
    )
