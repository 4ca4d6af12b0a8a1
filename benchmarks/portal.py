"""The public portal and API at city scale, under gunicorn, beside Datasette.

Seeds the whole demo city (9,126 RTs, 12 indicators × 12 months, 11 months published) into
a SQLite file, serves it with gunicorn (2 workers, as ``make run``), and drives it with
``wrk`` (Debian's ``apt-get install wrk``; a Python load generator when it is missing):
requests per second and 95th-percentile latency for

(a) one kelurahan's public page, (b) one area's JSON from the API, (c) the whole city's
RT table for one indicator and period as JSON and as CSV;

and, in the same run, the same published RT table exported to its own SQLite file and
served by Datasette (installed in ``.bench-venv/``, apart from the app's pins), measuring
the same single-area JSON request there. ``BENCH_SECONDS`` sets each run's length.
"""

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_VENV = ROOT / ".bench-venv"
DATASETTE = "datasette==0.65.5"
SECONDS = int(os.environ.get("BENCH_SECONDS", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
KELURAHAN = "35.78.03.1005"  # Wonorejo (Rungkut)
PERIOD = "2026-09"
CASES = {
    "(a) kelurahan page (HTML)": f"/wilayah/{KELURAHAN}",
    "(b) one area, API JSON": f"/api/v1/areas/{KELURAHAN}",
    "(c) city RT table, JSON (9,126 rows)": (
        f"/api/v1/indicators/kk_gamis/periods/{PERIOD}?level=rt"
    ),
    "(c) city RT table, CSV (9,126 rows)": f"/indikator/kk_gamis/{PERIOD}/data.csv?tingkat=rt",
}
DATASETTE_CASE = "/published/figures.json?area_code={code}&period={period}&_shape=array&_size=max"
WRK_SCRIPT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %f %d %d\\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(95) / 1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def seed_city(folder: Path) -> Path:
    """The whole demo city in a fresh SQLite file (in a child process: its memory goes)."""
    path = folder / "city.sqlite3"
    code = (
        "from pathlib import Path; from sqlmodel import Session;"
        "from transparency import create_app; from transparency.db import get_engine, upgrade;"
        "from transparency.services import demo;"
        f"app = create_app({{'DATABASE_URL': 'sqlite:///{path}'}});"
        "ctx = app.app_context(); ctx.push(); upgrade(get_engine());"
        "s = Session(get_engine()); demo.seed_demo(s, Path('seed')); s.commit()"
    )
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    print(f"demo seed with publication (whole city): {time.perf_counter() - start:.1f} s")
    return path


def export_for_datasette(city: Path, folder: Path) -> Path:
    """The published kk_gamis… tables of every area as one flat table, as a data team would
    publish them with Datasette (indexed on area and period)."""
    target = folder / "published.db"
    source = sqlite3.connect(city)
    rows = source.execute(
        """
        SELECT a.code, a.name, a.level, i.code, p.code, pf.value, pf.households, pf.rts_missing
        FROM published_figure pf
        JOIN publication pb ON pb.id = pf.publication_id AND pb.is_current
        JOIN indicator i ON i.id = pb.indicator_id
        JOIN period p ON p.id = pb.period_id
        JOIN area a ON a.id = pf.area_id
        """
    ).fetchall()
    source.close()
    out = sqlite3.connect(target)
    out.execute(
        "CREATE TABLE figures (area_code TEXT, area_name TEXT, level TEXT, indicator TEXT, "
        "period TEXT, value INTEGER, households INTEGER, rts_without_data INTEGER)"
    )
    out.executemany("INSERT INTO figures VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    out.execute("CREATE INDEX ix_figures_area_period ON figures (area_code, period)")
    out.commit()
    out.close()
    print(f"Datasette table: {len(rows):,} published rows (all areas, indicators, months)")
    return target


def ensure_datasette() -> Path | None:
    """Datasette in its own venv (its dependencies stay out of requirements.txt)."""
    binary = BENCH_VENV / "bin" / "datasette"
    if binary.exists():
        return binary
    try:
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
        subprocess.run(
            [str(BENCH_VENV / "bin" / "pip"), "install", "--quiet", DATASETTE], check=True
        )
    except (subprocess.CalledProcessError, OSError) as exc:
        print(f"Datasette could not be installed ({exc}); its figures are skipped")
        return None
    return binary


def load(url: str) -> dict:
    """Requests per second and p95 latency (ms) over ``SECONDS`` with ``CONNECTIONS``."""
    wrk = shutil.which("wrk")
    if wrk:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(WRK_SCRIPT)
        output = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{SECONDS}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        os.unlink(script.name)
        line = next(line for line in output.splitlines() if line.startswith("RESULT"))
        rps, p95, count, errors = line.split()[1:]
        return {
            "rps": float(rps),
            "p95_ms": float(p95),
            "requests": int(count),
            "errors": int(errors),
        }
    return _python_load(url)


def _python_load(url: str) -> dict:
    """A small threaded load generator for machines without wrk."""
    latencies, errors, stop = [], [0], time.time() + SECONDS

    def worker():
        while time.time() < stop:
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
            except OSError:
                errors[0] += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p95 = latencies[int(len(latencies) * 0.95)] if latencies else float("nan")
    return {
        "rps": len(latencies) / SECONDS,
        "p95_ms": p95,
        "requests": len(latencies),
        "errors": errors[0],
    }


def _serve(command: list[str], env: dict, url: str) -> subprocess.Popen:
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait(url)
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _report(label: str, result: dict) -> None:
    print(
        f"{label}: {result['rps']:.0f} requests/s, p95 {result['p95_ms']:.1f} ms "
        f"({result['requests']} requests, {result['errors']} errors)"
    )


def bench_portal() -> dict:
    """Seed, serve, load; print and return the figures."""
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        city = seed_city(folder)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{city}",
            "SECRET_KEY": "benchmark-" + "x" * 40,
        }
        gunicorn = [
            str(Path(sys.executable).parent / "gunicorn"),
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "wsgi:app",
        ]
        base = f"http://127.0.0.1:{port}"
        server = _serve(gunicorn, env, base + "/healthz")
        try:
            for label, path in CASES.items():
                urllib.request.urlopen(base + path).read()  # warm up
                results[label] = load(base + path)
                _report(label, results[label])
        finally:
            _stop(server)
        binary = ensure_datasette()
        if binary:
            published = export_for_datasette(city, folder)
            port = _free_port()
            command = [str(binary), "serve", "--immutable", str(published), "--port", str(port)]
            base = f"http://127.0.0.1:{port}"
            server = _serve(command, dict(os.environ), base + "/-/versions.json")
            try:
                path = DATASETTE_CASE.format(code=KELURAHAN, period=PERIOD)
                rows = json.loads(urllib.request.urlopen(base + path).read())
                assert len(rows) == 12, rows
                label = "Datasette: one area's rows, JSON"
                results[label] = load(base + path)
                _report(label, results[label])
            finally:
                _stop(server)
    return results


if __name__ == "__main__":
    bench_portal()
