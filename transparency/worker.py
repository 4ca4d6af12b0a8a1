"""The child process of an import job: ``python -m transparency.worker UPLOAD_ID``.

It runs one job (reading the file to suggest a mapping, or the dry run) under an
address-space limit and a wall-clock alarm, so that a hostile or huge file ends as a clear
"failed" and never takes an app server down: the app servers never parse a file.
"""

import math
import os
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


CPU_GRACE_SECONDS = 5  # the CPU limit's margin over the wall-clock alarm


def _limit(memory_mb: int, seconds: float, grace: int = CPU_GRACE_SECONDS) -> None:
    """Cap this process's memory and time.

    The alarm raises ``_OutOfTime`` at the next Python instruction; a reader busy in
    native code (calamine's Rust) does not come back to run it. So the kernel also caps
    CPU time a little later: SIGXCPU, whose default action ends the process (no core file),
    and SIGKILL past the hard limit. The watching parent records either as too slow.
    """
    size = _address_space() + memory_mb * 1024 * 1024  # on top of what is mapped already
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + seconds) + grace
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + CPU_GRACE_SECONDS))

    def out_of_time(_signum, _frame):
        raise _OutOfTime

    signal.signal(signal.SIGALRM, out_of_time)
    signal.setitimer(signal.ITIMER_REAL, seconds)  # fractions of a second allowed


def main(argv: list[str]) -> int:
    """Run the job in a forked child and watch it: a child that dies without recording
    an outcome (a reader aborting when the memory limit refuses an allocation, a crash)
    leaves a clear "failed" at once instead of waiting for the stalled-job sweep."""
    upload_id = int(argv[1])
    child = os.fork()
    if child == 0:  # the job itself, under the limits
        code = 1
        try:
            code = run_job(upload_id)
        finally:
            os._exit(code)
    _pid, status = os.waitpid(child, 0)
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) in (0, 1):
        return os.WEXITSTATUS(status)
    _record_death(upload_id, status)
    return 1


def death_code(status: int) -> str:
    """Why a job's process died, from its wait status: a reader that aborts when the memory
    limit refuses an allocation (SIGABRT, SIGSEGV), the CPU limit (SIGXCPU; its default
    action ends the process before the hard limit's SIGKILL), or anything else."""
    signalled = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
    if signalled in (signal.SIGABRT, signal.SIGSEGV):
        return "import.too_big"
    if signalled == signal.SIGXCPU:
        return "import.too_slow"
    return "import.crashed"


def _record_death(upload_id: int, status: int) -> None:
    """Mark a job whose process died as failed, unless it got as far as an outcome."""
    from transparency import create_app
    from transparency.db import get_session
    from transparency.models import Upload, UploadStatus
    from transparency.services import import_jobs

    app = create_app()
    with app.app_context():
        session = get_session()
        upload = session.get(Upload, upload_id)
        if upload is not None and UploadStatus(upload.status).running:
            import_jobs.mark_failed(session, upload, death_code(status))
            session.commit()


def run_job(upload_id: int) -> int:
    """Run one job of one upload and record its outcome: 0 done, 1 failed (recorded)."""
    from transparency import create_app
    from transparency.db import get_engine, get_session
    from transparency.indicator_sets import load_indicator_sets
    from transparency.messages import report_builder
    from transparency.models import Upload
    from transparency.services import import_jobs

    app = create_app()
    config = app.config
    with app.app_context():
        session, engine = get_session(), get_engine()
        upload = session.get(Upload, upload_id)
        iset = load_indicator_sets(Path(config["INDICATOR_SETS"]))[upload.indicator_set]
        summary = upload.summary or {}
        job = import_jobs.JOBS[summary.get("job", "dry_run")]
        build_report = report_builder(summary.get("lang", config["BABEL_DEFAULT_LOCALE"]))
        _limit(config["IMPORT_MEMORY_MB"], config["IMPORT_SECONDS"])
        try:
            job(
                session,
                engine,
                upload_id,
                iset,
                datetime.now(UTC),
                timedelta(hours=config["IMPORT_TTL_HOURS"]),
                before_writing=session.rollback,
                build_report=build_report,
            )
            signal.setitimer(signal.ITIMER_REAL, 0)
            session.commit()
            return 0
        except (MemoryError, _OutOfTime) as exc:
            signal.setitimer(signal.ITIMER_REAL, 0)
            session.rollback()
            code = "import.too_slow" if isinstance(exc, _OutOfTime) else "import.too_big"
        except Exception:  # a bug: the operator still gets a clear "failed", the log the rest
            signal.setitimer(signal.ITIMER_REAL, 0)
            session.rollback()
            app.logger.exception("import job %s crashed", upload_id)
            code = "import.crashed"
        import_jobs.mark_failed(session, session.get(Upload, upload_id), code)
        session.commit()
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
