"""The data model: SQLModel tables for the whole product.

Only table definitions and their constraints live here; no queries, no Flask.
Importing this package registers every table on ``SQLModel.metadata``.
"""

from transparency.models.accounts import Role, User
from transparency.models.areas import Area, AreaLevel, KelurahanAlias
from transparency.models.audit import AuditEvent
from transparency.models.catalog import Department, Frequency, Indicator, Period
from transparency.models.figures import (
    ActiveUpload,
    Figure,
    ImportMapping,
    StagedFigure,
    Upload,
    UploadFile,
    UploadIndicator,
    UploadStatus,
)
from transparency.models.publishing import Correction, Publication, PublishedFigure
from transparency.models.verification import Verification, VerificationStatus

__all__ = [
    "ActiveUpload",
    "Area",
    "AreaLevel",
    "AuditEvent",
    "Correction",
    "Department",
    "Figure",
    "Frequency",
    "ImportMapping",
    "Indicator",
    "KelurahanAlias",
    "Period",
    "Publication",
    "PublishedFigure",
    "Role",
    "StagedFigure",
    "Upload",
    "UploadFile",
    "UploadIndicator",
    "UploadStatus",
    "User",
    "Verification",
    "VerificationStatus",
]
