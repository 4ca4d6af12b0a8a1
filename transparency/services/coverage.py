"""Coverage of an upload: how many RTs of each kelurahan have a figure, per indicator.

Figures of an upload never change, so this is counted once, when the upload is committed
(or seeded), and kept in ``upload.summary["coverage"]``; completeness pages read it instead
of counting millions of figures. The caller commits.
"""

from sqlmodel import Session

from transparency.dashboards import count_coverage
from transparency.models import Upload

KEY = "coverage"


def record_coverage(session: Session, upload: Upload) -> None:
    """Count the upload's coverage and keep it in its summary."""
    upload.summary = {**(upload.summary or {}), KEY: count_coverage(session, upload.id)}
    session.add(upload)
