"""Papan Informasi RT: a printable A4 page for the RT's notice board, with its published
figures (protected as the public sees them), the period as a month, the date it was printed,
the sources and a QR code that links to the RT's public page; on screen, a way back to the
RT's page and a Print button (``static/board.js``)."""

from datetime import UTC, datetime

import segno
from flask import Blueprint, render_template, url_for
from markupsafe import Markup

from transparency import dashboards, queries, scoped
from transparency.access import Permission, requires
from transparency.db import get_session
from transparency.models import AreaLevel
from transparency.security import current_scope, deny
from transparency.views.dashboard import _name

bp = Blueprint("board", __name__, url_prefix="/dasbor")


def qr_svg(url: str) -> Markup:
    """The URL as an inline SVG QR code (segno, no image file, no network)."""
    code = segno.make(url, error="m")
    return Markup(code.svg_inline(scale=3, border=2, omitsize=False))


@bp.get("/wilayah/<code>/papan")
@requires(Permission.FIGURES_READ_EXACT)
def rt_board(code: str):
    """The RT's notice board: published figures only, ready to print on one A4 page."""
    db, scope = get_session(), current_scope()
    try:
        rt = scoped.get_scoped_area(db, scope, code)
    except scoped.OutOfScope:
        deny("area out of scope or unknown", status=404, area=code)
    if rt.level != AreaLevel.RT:
        deny("notice board of an area that is not an RT", status=404, area=code)
    figures = [f for f in dashboards.list_rt_figures(db, scope, rt) if f.context_period]
    public_url = url_for("public.area", code=rt.code, _external=True)
    return render_template(
        "dashboard/board.html",
        area=rt,
        figures=figures,
        ancestors=queries.list_ancestors(db, rt),
        sources=dashboards.board_sources(db, figures),
        public_url=public_url,
        qr=qr_svg(public_url),
        name=_name,
        printed_on=datetime.now(UTC),
    )
