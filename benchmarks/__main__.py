"""Run every benchmark and print its figures (copy them into docs/PERFORMANCE.md)."""

import resource
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session

from benchmarks.dashboards import bench_dashboards
from benchmarks.imports import bench_imports
from benchmarks.portal import bench_portal
from transparency import create_app
from transparency.db import get_engine, upgrade
from transparency.services import demo
from transparency.services.register import import_register

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "register_rt_rw_2026.xlsx"
PAGES = {
    "home (31 kecamatan)": "/",
    "kecamatan Rungkut": "/wilayah/35.78.03",
    "kelurahan Wonorejo": "/wilayah/35.78.03.1005",
    "RT 001/RW 001 Wonorejo": "/wilayah/35.78.03.1005.001.001",
}


def _app(folder: Path):
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"})
    with app.app_context():
        upgrade(get_engine())
    return app


def bench_register_import(folder: Path) -> None:
    """The whole city's register (9,126 RT) from the sample workbook, twice."""
    app = _app(folder)
    data = SAMPLE.read_bytes()
    with app.app_context(), Session(get_engine()) as session:
        demo.load_city(session, ROOT / "seed")
        session.commit()
        for label in ("first import", "re-import (unchanged)"):
            start = time.perf_counter()
            report = import_register(session, data, SAMPLE.name, 50_000)
            session.commit()
            elapsed = time.perf_counter() - start
            print(
                f"register {label}: {elapsed:.2f} s "
                f"({report.created} new, {report.unchanged} unchanged)"
            )


def bench_demo_seed_and_pages(folder: Path, requests: int = 200) -> None:
    """Seeding the whole demo city, then server time of the public pages."""
    app = _app(folder)
    with app.app_context(), Session(get_engine()) as session:
        start = time.perf_counter()
        demo.seed_demo(session, ROOT / "seed")
        session.commit()
        print(
            f"demo seed (9,126 RT × 12 indicators × 12 months): {time.perf_counter() - start:.1f} s"
        )
    client = app.test_client()
    for label, url in PAGES.items():
        client.get(url)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[18]
        print(
            f"page {label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
            f"({requests} requests)"
        )
    bench_bulk_accounts(app)


def bench_bulk_accounts(app) -> None:
    """The walidata creates the ketua RT accounts of the whole city in one action."""
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/masuk", data={"username": "walidata", "password": "walidata-demo-2026"})
    start = time.perf_counter()
    response = client.post("/admin/pengguna/massal", data={"area_code": "35.78"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    print(
        "ketua RT accounts for the whole city, one action (accounts + workbook): "
        f"{elapsed:.1f} s, workbook {len(response.data) / 1024:.0f} KiB"
    )


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder


def main() -> None:
    """Run the benchmarks in a temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        bench_register_import(_mk(Path(folder) / "a"))
        bench_demo_seed_and_pages(_mk(Path(folder) / "b"))
        bench_imports()
        bench_dashboards()
        bench_portal()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the benchmark process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
