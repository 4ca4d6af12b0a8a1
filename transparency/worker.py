"""The child process of an import job: ``python -m transparency.worker UPLOAD_ID``.

It runs one dry run under an address-space limit and a wall-clock alarm, so that a
hostile or huge file ends as a clear "failed" and never takes an app server down.
"""

import resource
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


class _OutOfTime(Exception):
    """The dry run passed its time limit."""


def _address_space() -> int:
    """The bytes of address space this process maps now (libraries, thread stacks …)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def _limit(memory_mb: int, seconds: int) -> None:
    """Cap this process's memory and time."""
    size = _address_space() + memory_mb * 1024 * 1024  # on top of what is mapped already
    resource.setrlimit(resource.RLIMIT_AS, (size, size))

    def out_of_time(_signum, _frame):
        raise _OutOfTime

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(seconds)


def main(argv: list[str]) -> int:
    """Run the dry run of one upload and record its outcome."""
    from transparency import create_app
    from transparency.db import get_engine, get_session
    from transparency.indicator_sets import load_indicator_sets
    from transparency.models import Upload
    from transparency.services import import_jobs

    upload_id = int(argv[1])
    app = create_app()
    config = app.config
    with app.app_context():
        session, engine = get_session(), get_engine()
        iset = load_indicator_sets(Path(config["INDICATOR_SETS"]))[
            session.get(Upload, upload_id).indicator_set
        ]
        _limit(config["IMPORT_MEMORY_MB"], config["IMPORT_SECONDS"])
        try:
            import_jobs.dry_run_upload(
                session,
                engine,
                upload_id,
                iset,
                datetime.now(UTC),
                timedelta(hours=config["IMPORT_TTL_HOURS"]),
                before_writing=session.rollback,
            )
            session.commit()
            return 0
        except (MemoryError, _OutOfTime) as exc:
            signal.alarm(0)
            session.rollback()
            code = "import.too_slow" if isinstance(exc, _OutOfTime) else "import.too_big"
        except Exception:  # a bug: the operator still gets a clear "failed", the log the rest
            signal.alarm(0)
            session.rollback()
            app.logger.exception("import job %s crashed", upload_id)
            code = "import.crashed"
        import_jobs.mark_failed(session, session.get(Upload, upload_id), code)
        session.commit()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
