"""The dashboards at city scale: 9,126 RT × 14 indicators × 36 months (4.6 M figures).

Server time (Flask test client, no network) of the ketua RT's home, a kelurahan's table
and a department's completeness page, median and 95th percentile over many requests,
on SQLite and, when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set, on PostgreSQL
(its ``public`` schema is dropped and migrated afresh). Targets: p95 < 50 ms for the RT
home, < 150 ms for the kelurahan and department pages.

The city: the whole register, the demo's 12 indicators plus two more of Dinsos (so 14),
36 months of demo figures, every month but the last published, the demo's verifications.
Environment: BENCH_DASHBOARD_REQUESTS (default 200), BENCH_DASHBOARD_MONTHS (default 36);
BENCH_DASHBOARD_KEEP=FILE keeps (or reuses) the seeded SQLite city, and
BENCH_DASHBOARD_REUSE_POSTGRES=1 measures the city an earlier run left in PostgreSQL.
Run alone with ``python -m benchmarks.dashboards``.
"""

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, text
from sqlmodel import Session, select

from benchmarks.imports import _database_url, _prepared_engine
from transparency import create_app, demodata
from transparency.db import make_engine, upgrade
from transparency.models import Department, Figure, Frequency, Indicator
from transparency.services import catalog, demo

EXTRA_INDICATORS = {  # two more Dinsos counts, so that the catalogue has 14 indicators
    "kk_pkh": ("KK penerima PKH", "Households receiving PKH", 0.05, "households"),
    "kk_bpnt": ("KK penerima BPNT", "Households receiving BPNT", 0.08, "households"),
}
PAGES = {  # label → (account, password, URL)
    "ketua RT home (RT 001/RW 001 Wonorejo)": (
        "rt001.rw001.wonorejo",
        "ketuart-demo-2026",
        "/dasbor/wilayah/35.78.03.1005.001.001",
    ),
    "kelurahan table (Wonorejo, lurah)": (
        "lurah.wonorejo",
        "lurah-demo-2026",
        "/dasbor/wilayah/35.78.03.1005",
    ),
    "department completeness (Dinsos, city by kecamatan)": (
        "dinsos",
        "dinsos-demo-2026",
        "/dasbor/dinas/dinsos",
    ),
    "department completeness (Dinsos, Rungkut by kelurahan)": (
        "dinsos",
        "dinsos-demo-2026",
        "/dasbor/dinas/dinsos?kecamatan=35.78.03",
    ),
}
TARGETS_MS = dict(zip(PAGES, (50, 150, 150, 150), strict=True))


def measure(app, requests: int) -> dict[str, dict[str, float]]:
    """Median and p95 (ms) of each page, signed in as its account: wall time, and the CPU
    time of this process (the app and, for SQLite, the database: what a quiet machine
    would take; the machine is shared, so wall time also counts waiting for a core)."""
    app.config["WTF_CSRF_ENABLED"] = False
    results = {}
    for label, (username, password, url) in PAGES.items():
        client = app.test_client()
        client.post("/masuk", data={"username": username, "password": password})
        assert client.get(url).status_code == 200, url
        wall, cpu = [], []
        for _ in range(requests):
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            assert response.status_code == 200
        results[label] = {
            "median": statistics.median(wall),
            "p95": statistics.quantiles(wall, n=20)[18],
            "cpu_median": statistics.median(cpu),
            "cpu_p95": statistics.quantiles(cpu, n=20)[18],
        }
    return results


def bench_database(url: str, folder: str, requests: int, months: int) -> None:
    """Prepare the city on one database (or reuse BENCH_DASHBOARD_KEEP, a SQLite file
    seeded by an earlier run), then time the pages."""
    keep = os.environ.get("BENCH_DASHBOARD_KEEP", "")
    if not url and keep and Path(keep).exists():
        engine = make_engine(f"sqlite:///{keep}")
        upgrade(engine)
    elif url and os.environ.get("BENCH_DASHBOARD_REUSE_POSTGRES"):
        engine = make_engine(url)  # the city an earlier run seeded there
    else:
        engine = _seeded(url, folder, months)
        if not url and keep:
            shutil.copy(Path(folder) / "bench.sqlite3", keep)
    name = engine.dialect.name
    app = create_app(
        {
            "DATABASE_URL": str(engine.url.render_as_string(hide_password=False)),
            "SECRET_KEY": "b" * 40,
        }
    )
    load = os.getloadavg()[0]
    for label, r in measure(app, requests).items():
        verdict = "met" if r["p95"] < TARGETS_MS[label] else "MISSED"
        print(
            f"{name}: {label}: median {r['median']:.1f} ms, p95 {r['p95']:.1f} ms; CPU of "
            f"this process median {r['cpu_median']:.1f} ms, p95 {r['cpu_p95']:.1f} ms "
            f"({requests} requests, load {load:.1f}; target p95 < {TARGETS_MS[label]} ms: "
            f"{verdict})"
        )
    engine.dispose()


def _seeded(url: str, folder: str, months: int):
    engine = _prepared_engine(url, folder)
    start = time.perf_counter()
    with Session(engine) as session:
        # _prepared_engine loaded the city and register already; seed the rest.
        users = demo.seed_accounts(session)
        written = _seed_rest(session, users, months)
        session.commit()
        total = session.exec(select(func.count(Figure.id))).one()
    # What autovacuum does in production after a big insert: statistics, and on
    # PostgreSQL the visibility map that lets an RT's figures come from the index alone.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        postgres = engine.dialect.name == "postgresql"
        connection.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))
    print(
        f"{engine.dialect.name}: seeded {written:,} figures ({total:,} in the table) in "
        f"{time.perf_counter() - start:.0f} s"
    )
    return engine


def _seed_rest(session: Session, users, months: int) -> int:
    dinsos = session.exec(select(Department).where(Department.code == "dinsos")).one()
    for position, (code, (name_id, name_en, _, _)) in enumerate(EXTRA_INDICATORS.items()):
        session.add(
            Indicator(
                code=code,
                name_id=name_id,
                name_en=name_en,
                unit="KK",
                department_id=dinsos.id,
                frequency=Frequency.MONTHLY,
                sensitive=True,
                suppression_k=10,
                per_household=True,
                position=100 + position,
            )
        )
    session.flush()
    periods = catalog.ensure_months(session, *demo.LAST_MONTH, months)
    rates = dict(demodata.RATES)
    extra = {code: (rate, base) for code, (_, _, rate, base) in EXTRA_INDICATORS.items()}
    demodata.RATES.update(extra)
    try:
        written = demo.seed_figures(session, periods, users)
    finally:
        demodata.RATES.clear()
        demodata.RATES.update(rates)
    demo.publish_demo(session, periods[:-1], users["walidata"])
    demo.seed_verifications(session, periods[-1], users)
    return written


def bench_dashboards() -> None:
    """The pages on SQLite, then on PostgreSQL if a URL is set."""
    requests = int(os.environ.get("BENCH_DASHBOARD_REQUESTS", "200"))
    months = int(os.environ.get("BENCH_DASHBOARD_MONTHS", "36"))
    with tempfile.TemporaryDirectory() as folder:
        bench_database("", folder, requests, months)
    url = _database_url()
    if url:
        bench_database(url, "", requests, months)
    else:
        print("dashboards on PostgreSQL skipped: set BENCH_DATABASE_URL=postgresql://…")


if __name__ == "__main__":
    bench_dashboards()
