"""Recording audit events. Callers pass only what may be kept: never a password or code."""

from sqlmodel import Session

from transparency.models import AuditEvent, User

FORBIDDEN_DETAIL_KEYS = {"password", "code", "token", "activation_code", "secret"}


def record(
    session: Session,
    action: str,
    *,
    actor: User | None = None,
    actor_name: str = "",
    object_type: str = "",
    object_id: str | int = "",
    outcome: str = "ok",
    remote_addr: str = "",
    **details,
) -> AuditEvent:
    """Add one audit event to the session (the caller commits it with its own work)."""
    leaked = FORBIDDEN_DETAIL_KEYS & set(details)
    if leaked:
        raise ValueError(f"audit details must not hold {sorted(leaked)}")
    event = AuditEvent(
        action=action,
        actor_id=actor.id if actor else None,
        actor_name=(actor.username if actor else actor_name)[:80],
        object_type=object_type,
        object_id=str(object_id)[:80],
        outcome=outcome,
        remote_addr=remote_addr[:64],
        details=details,
    )
    session.add(event)
    return event
