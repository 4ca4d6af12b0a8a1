"""The imports at city scale: a Dinsos Gamis/Pramis file of 1,000,000 families, and a
Dispendukcapil SIAK export of 1,000,000 persons (one row per person).

Measured in one run, each step in a fresh child process so that its peak memory is its own:

(a) python-calamine alone reading the file into Python rows: the floor;
(b) the whole dry run (``preview_import`` on the file's bytes);
(c) the dry run plus the commit (``commit_import``, or ``stage_import`` then
    ``commit_upload`` as ``flask import`` does) and the transaction's commit;
(d) for reference, ``pandas.read_excel`` with openpyxl on the same file.

(b) and (c) run on SQLite, and on PostgreSQL too when BENCH_DATABASE_URL (or
TEST_DATABASE_URL) is set; its ``public`` schema is dropped and migrated afresh. The
database (tree, catalogue, the whole register of 9,126 RT) is prepared in the child
before the clock starts. Targets: (b) ≤ 1.5× (a) in time, (c) ≤ 2× (a) in time and
≤ 2.5× (a) in peak memory.

Environment: BENCH_IMPORT_ROWS (default 1,000,000) for a quicker run; BENCH_IMPORT_CACHE
(default /tmp/transparency-bench) where generated files are kept between runs;
BENCH_IMPORT_PROFILE=1 to profile a dry run (cProfile) instead of measuring;
BENCH_IMPORT_SKIP_PANDAS=1 to leave out the reference (d), which alone takes minutes;
BENCH_IMPORT_ONLY=households or BENCH_IMPORT_ONLY=persons to run one file's steps only. The
person file is measured by (a) and (b), its target (b) ≤ 1.5× (a) in time.

Run alone with ``python -m benchmarks.imports``. This module imports nothing heavy at the
top: the child of step (a) must not carry Flask, SQLAlchemy or pandas in its memory.
"""

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
CACHE = Path(
    os.environ.get("BENCH_IMPORT_CACHE", Path(tempfile.gettempdir()) / "transparency-bench")
)
SET_CODE = "dinsos_gamis_pramis"
PERIOD = "2026-10"
SEED_VALUE = 20261001
FILE_VERSION = 1  # bump whenever generate_household_file writes something different
SHEET = "DATA GAMIS PRAMIS"
HEADER = [
    "NO",
    "NO KK",
    "NIK KEPALA KELUARGA",
    "NAMA KEPALA KELUARGA",
    "ALAMAT",
    "RT",
    "RW",
    "KELURAHAN",
    "KECAMATAN",
    "JUMLAH ANGGOTA KELUARGA",
    "KATEGORI",
    "DESIL",
]
TITLES = [
    "DATA KELUARGA MISKIN (GAMIS) DAN PRA MISKIN (PRAMIS) KOTA SURABAYA",
    "PERIODE : OKTOBER 2026",
    "Dinas Sosial Kota Surabaya",
]
TARGETS = {"b": (1.5, None), "c": (2.0, 2.5)}  # step → (time ×(a), peak memory ×(a))
PERSON_SET = "dispendukcapil_penduduk"
PERSON_SHEET = "Sheet1"
PERSON_FILE_VERSION = 1  # bump whenever generate_person_file writes something different
PERSON_HEADER = [  # the SIAK export's columns, in its order (OpenSID's format_siak.xls)
    "Nomor KK",
    "NIK",
    "Nama Penduduk",
    "Status",
    "Tempat Lahir",
    "Tanggal Lahir",
    "Kelamin",
    "Status Kawin",
    "SHDK",
    "Agama",
    "Kecamatan",
    "Desa/Kel",
    "Alamat",
    "RW",
    "RT",
    "Pendidikan",
    "Pekerjaan",
]
STATUSES = (("Hidup", 960), ("Mati", 20), ("Pindah Dalam Negeri", 15), ("Pergi", 3))
STATUSES += (("Tidak Valid", 2),)
EDUCATION = ("Tidak/Belum Sekolah", "SD/Sederajat", "SLTP/Sederajat", "SLTA/Sederajat", "S1")
WORK = ("Belum/Tidak Bekerja", "Pelajar/Mahasiswa", "Wiraswasta", "Karyawan Swasta", "Buruh")

FIRST_NAMES = (
    "AGUS",
    "AHMAD",
    "ANDI",
    "ARIF",
    "BAMBANG",
    "BUDI",
    "DEDI",
    "DEWI",
    "DIAN",
    "EKO",
    "ENDANG",
    "FITRI",
    "HADI",
    "HARTONO",
    "HENDRA",
    "IWAN",
    "JOKO",
    "KARTINI",
    "LESTARI",
    "MUHAMMAD",
    "NUR",
    "PUJI",
    "RINA",
    "RUDI",
    "SITI",
    "SLAMET",
    "SRI",
    "SUGENG",
    "SUPRIADI",
    "SURYANI",
    "TEGUH",
    "TRI",
    "WAHYU",
    "WATI",
    "YULI",
)
LAST_NAMES = (
    "",
    "",
    "HANDAYANI",
    "HIDAYAT",
    "KURNIAWAN",
    "LESTARI",
    "MULYADI",
    "NINGSIH",
    "PRASETYO",
    "PURNOMO",
    "RAHAYU",
    "SANTOSO",
    "SAPUTRA",
    "SETIAWAN",
    "SUGIHARTO",
    "SUSANTO",
    "WAHYUNI",
    "WIBOWO",
    "WIJAYA",
    "YULIANTI",
)
STREETS = (
    "JL. KENJERAN",
    "JL. RUNGKUT ASRI",
    "JL. WONOREJO",
    "GG. MAWAR",
    "GG. MELATI",
    "JL. NGAGEL",
    "JL. KAPAS KRAMPUNG",
    "JL. SEMOLOWARU",
    "GG. BUNTU",
    "JL. TAMBAK ASRI",
    "JL. PETEMON",
    "JL. SIMO",
    "JL. DUKUH KUPANG",
    "JL. GUBENG KERTAJAYA",
    "JL. KALIRUNGKUT",
    "GG. SEPAT",
)
MEMBERS = ((1, 2, 3, 4, 5, 6, 7, 8), (8, 14, 20, 24, 16, 9, 5, 4))  # values, weights
CATEGORIES = (  # (text as written, weight): mixed case and the odd trailing space
    ("GAMIS", 18),
    ("Gamis", 6),
    ("gamis", 6),
    ("PRAMIS", 36),
    ("Pramis", 12),
    ("pramis", 12),
    ("PRAMIS ", 10),
)


# ---------------------------------------------------------------- the file


def _city(seed_dir: Path) -> list[tuple[str, str, str, str, str, int]]:
    """Every RT of the register: (kelurahan code, kelurahan name, kecamatan name, RW, RT,
    households), in register order."""
    names: dict[str, tuple[str, str]] = {}
    with open(seed_dir / "surabaya_wilayah.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names[row["code"]] = (row["name"], row["parent_code"])
    rts = []
    with open(seed_dir / "register_rt_rw_2026.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kelurahan, kecamatan = names[row["kelurahan_code"]]
            rts.append(
                (
                    row["kelurahan_code"],
                    kelurahan.upper(),
                    names[kecamatan][0].upper(),
                    row["rw"],
                    row["rt"],
                    int(row["households"]),
                )
            )
    return rts


def _allocate(weights: list[int], rows: int) -> list[int]:
    """Rows per RT: one each when there are enough, the rest in proportion to households
    (largest remainders), so that every RT of the register appears."""
    base = 1 if rows >= len(weights) else 0
    rest = rows - base * len(weights)
    total = sum(weights)
    shares = [rest * w / total for w in weights]
    counts = [base + int(s) for s in shares]
    missing = rows - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (int(shares[i]) - shares[i], i))
    for i in by_remainder[:missing]:
        counts[i] += 1
    return counts


def _rt_text(rng: random.Random, number: int, label: str) -> str | int:
    """An RT or RW number as the departments write it: "RT 01", "001", "01", "1", 1, "RT. 1"."""
    pick = rng.random()
    if pick < 0.30:
        return f"{number:03d}"
    if pick < 0.50:
        return f"{number:02d}"
    if pick < 0.65:
        return str(number)
    if pick < 0.75:
        return number  # a real number cell
    if pick < 0.92:
        return f"{label} {number:02d}"
    return f"{label}. {number}"


def _household_rows(rows: int, seed: int, seed_dir: Path):
    """The data rows, in kelurahan/RW/RT order as the departments sort them."""
    rng = random.Random(seed)
    rts = _city(seed_dir)
    counts = _allocate([rt[5] for rt in rts], rows)
    texts, weights = zip(*CATEGORIES, strict=True)
    seen_kk: set[str] = set()
    number = 0
    for (code, kelurahan, kecamatan, rw, rt, _households), count in zip(rts, counts, strict=True):
        region = "35" + code[3:5] + code[6:8]  # 357803 for Rungkut
        rt_number, rw_number = int(rt), int(rw)
        for _ in range(count):
            number += 1
            while True:
                kk = f"{region}{rng.randrange(10**10):010d}"
                if kk not in seen_kk:
                    seen_kk.add(kk)
                    break
            day = rng.randint(1, 28) + (40 if rng.random() < 0.4 else 0)  # women: day + 40
            nik = (
                f"{region}{day:02d}{rng.randint(1, 12):02d}{rng.randint(40, 99):02d}"
                f"{rng.randrange(1, 10**4):04d}"
            )
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}".strip()
            address = f"{rng.choice(STREETS)} NO. {rng.randint(1, 250)}"
            shown = kelurahan if rng.random() < 0.95 else f"KEL. {kelurahan}"
            yield [
                number,
                kk,
                nik,
                name,
                address,
                _rt_text(rng, rt_number, "RT"),
                _rt_text(rng, rw_number, "RW"),
                shown,
                kecamatan,
                rng.choices(*MEMBERS)[0],
                rng.choices(texts, weights)[0],
                rng.randint(1, 4),
            ]


def household_file_path(rows: int, seed: int = SEED_VALUE) -> Path:
    """Where the generated file of that size is cached."""
    return CACHE / f"dinsos_gamis_pramis_{rows}_s{seed}_v{FILE_VERSION}.xlsx"


def generate_household_file(
    path: Path, rows: int = 1_000_000, seed: int = SEED_VALUE, seed_dir: Path = SEED
) -> Path:
    """Write a Dinsos Gamis/Pramis workbook of ``rows`` families in the sample's layout.

    Three title rows, a blank row, the header on row 5, the families, then a JUMLAH row
    with their number under NO KK. Families are spread over every RT of the register in
    proportion to its households; kelurahan are named in capitals with their kecamatan
    (the two Wonorejo differ only by it); RT/RW, categories and No. KK/NIK are spelled as
    the departments spell them. Deterministic for a given ``rows`` and ``seed``. Written
    with openpyxl's write-only mode (shared strings, as Excel writes them).
    """
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(SHEET)
    for title in TITLES:
        sheet.append([title])
    sheet.append([])
    sheet.append(HEADER)
    for row in _household_rows(rows, seed, seed_dir):
        sheet.append(row)
    sheet.append(["JUMLAH", rows])
    partial = path.with_suffix(".partial.xlsx")
    workbook.save(partial)
    partial.replace(path)
    return path


def household_file(rows: int) -> Path:
    """The cached file of that many rows, generated on first use."""
    path = household_file_path(rows)
    if path.exists():
        print(f"household file: {path} (cached, {path.stat().st_size / 2**20:.0f} MiB)")
        return path
    start = time.perf_counter()
    generate_household_file(path, rows)
    print(
        f"household file: generated {rows:,} rows in {time.perf_counter() - start:.1f} s → "
        f"{path} ({path.stat().st_size / 2**20:.0f} MiB)"
    )
    return path


def _city_residents(seed_dir: Path) -> list[int]:
    """Residents per RT of the register, in register order."""
    with open(seed_dir / "register_rt_rw_2026.csv", encoding="utf-8") as handle:
        return [int(row["residents"]) for row in csv.DictReader(handle)]


def _person_rows(rows: int, seed: int, seed_dir: Path):
    """The persons, family by family, in kelurahan/RW/RT order as SIAK sorts them."""
    from datetime import date, timedelta

    rng = random.Random(seed)
    rts = _city(seed_dir)
    counts = _allocate(_city_residents(seed_dir), rows)
    texts, weights = zip(*STATUSES, strict=True)
    last_day = date(2026, 10, 31)
    roles = ("Kepala Keluarga", "Istri", "Anak")
    family = 0
    for (code, kelurahan, kecamatan, rw, rt, _households), count in zip(rts, counts, strict=True):
        region = "35" + code[3:5] + code[6:8]
        rw_number, rt_number = float(int(rw)), float(int(rt))
        street = f"{rng.choice(STREETS)} NO. {rng.randint(1, 250)}"
        left = 0
        for _ in range(count):
            if left == 0:  # a new family card
                family += 1
                kk = f"{region}{family:010d}"
                left, member = rng.choices(*MEMBERS)[0], 0
                street = f"{rng.choice(STREETS)} NO. {rng.randint(1, 250)}"
            born = last_day - timedelta(days=rng.randrange(95 * 365))
            born_cell = born if rng.random() < 0.85 else born.strftime("%d-%m-%Y")
            woman = rng.random() < 0.5
            nik = (
                f"{region}{born.day + (40 if woman else 0):02d}{born.month:02d}"
                f"{born.year % 100:02d}{rng.randrange(1, 10**4):04d}"
            )
            yield [
                kk,
                nik,
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}".strip(),
                rng.choices(texts, weights)[0],
                "SURABAYA",
                born_cell,
                "Perempuan" if woman else "Laki-laki",
                "Kawin" if member < 2 else "Belum Kawin",
                roles[min(member, 2)],
                "Islam",
                kecamatan,
                kelurahan,
                street,
                rw_number,
                rt_number,
                rng.choice(EDUCATION),
                rng.choice(WORK),
            ]
            left, member = left - 1, member + 1


def person_file_path(rows: int, seed: int = SEED_VALUE) -> Path:
    """Where the generated person file of that size is cached."""
    return CACHE / f"dispendukcapil_siak_{rows}_s{seed}_v{PERSON_FILE_VERSION}.xlsx"


def generate_person_file(
    path: Path, rows: int = 1_000_000, seed: int = SEED_VALUE, seed_dir: Path = SEED
) -> Path:
    """Write a SIAK-layout population export of ``rows`` persons: the header on row 1, one
    row per person, families of one to eight sharing a No. KK, persons spread over every
    RT in proportion to its residents; status mostly Hidup (also Mati, Pindah Dalam
    Negeri, Pergi, Tidak Valid); birth dates over 95 years, mostly date cells and some
    ``dd-mm-yyyy`` text; RW and RT as number cells, kelurahan and kecamatan by name, as
    the export writes them. Deterministic; written with openpyxl's write-only mode."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(PERSON_SHEET)
    sheet.append(PERSON_HEADER)
    for row in _person_rows(rows, seed, seed_dir):
        sheet.append(row)
    partial = path.with_suffix(".partial.xlsx")
    workbook.save(partial)
    partial.replace(path)
    return path


def person_file(rows: int) -> Path:
    """The cached person file of that many rows, generated on first use."""
    path = person_file_path(rows)
    if path.exists():
        print(f"person file: {path} (cached, {path.stat().st_size / 2**20:.0f} MiB)")
        return path
    start = time.perf_counter()
    generate_person_file(path, rows)
    print(
        f"person file: generated {rows:,} rows in {time.perf_counter() - start:.1f} s → "
        f"{path} ({path.stat().st_size / 2**20:.0f} MiB)"
    )
    return path


# ---------------------------------------------------------------- the steps (in the child)


def _rss_mib() -> float:
    """The process's resident memory now."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _step_a(path: Path, _url: str) -> dict:
    from python_calamine import CalamineWorkbook

    before, cpu = _rss_mib(), time.process_time()
    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "rss_before": before,
        "detail": f"{len(rows):,} rows",
    }


def _step_d(path: Path, _url: str) -> dict:
    import pandas

    before, cpu = _rss_mib(), time.process_time()
    start = time.perf_counter()
    frame = pandas.read_excel(path, engine="openpyxl", header=4, dtype=str)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "cpu": time.process_time() - cpu,
        "rss_before": before,
        "detail": f"{len(frame):,} rows",
    }


def _prepared_engine(url: str, folder: str):
    """A freshly migrated database holding the city tree, catalogue and whole register."""
    from sqlalchemy import text
    from sqlmodel import Session

    from transparency.config import database_url
    from transparency.db import make_engine, upgrade
    from transparency.services import demo
    from transparency.services.register import import_register

    if url:
        engine = make_engine(database_url(url, ""))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    else:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
    upgrade(engine)
    register = SEED / "register_rt_rw_2026.csv"
    with Session(engine) as session:
        demo.load_city(session, SEED)
        report = import_register(session, register.read_bytes(), register.name, 50_000)
        if not report.ok:
            raise RuntimeError(f"register import failed: {report.problems[:3]}")
        session.commit()
    return engine


def _commit(session, report, data: bytes) -> tuple[str, list[tuple[str, float]]]:
    """Commit a dry run's report in the session's transaction, as the service offers it:
    ``commit_import`` (one call) or ``stage_import`` then ``commit_upload`` (as
    ``flask import`` does). Returns the upload id and the time of each part."""
    from datetime import UTC, datetime, timedelta

    from transparency.services import imports

    if not report.can_commit:
        raise RuntimeError(f"cannot commit: {report.problems[:3]}")
    parts = []
    start = time.perf_counter()
    if hasattr(imports, "commit_import"):
        upload = imports.commit_import(session, report, None)
        parts.append(("commit_import", time.perf_counter() - start))
    else:
        now = datetime.now(UTC)
        upload = imports.stage_import(session, report, None, now, timedelta(hours=24))
        parts.append(("stage_import", time.perf_counter() - start))
        start = time.perf_counter()
        upload = imports.commit_upload(session, upload.id, None, report.sha256, now)
        parts.append(("commit_upload", time.perf_counter() - start))
    start = time.perf_counter()
    session.commit()
    parts.append(("session.commit", time.perf_counter() - start))
    return (str(upload.id) if upload else "none (no-op)"), parts


def _dry_run_and_commit(path: Path, url: str, commit: bool, set_code: str = SET_CODE) -> dict:
    from sqlmodel import Session

    from transparency.indicator_sets import load_indicator_sets
    from transparency.services.imports import preview_import

    iset = load_indicator_sets(SEED / "indicator_sets.json")[set_code]
    with tempfile.TemporaryDirectory() as folder:
        engine = _prepared_engine(url, folder)
        data = path.read_bytes()
        with Session(engine) as session:
            before, cpu = _rss_mib(), time.process_time()
            start = time.perf_counter()
            report = preview_import(session, data, path.name, iset, PERIOD)
            previewed = time.perf_counter() - start
            if commit:
                upload, parts = _commit(session, report, data)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu
        engine.dispose()
    outcome = report.outcome
    detail = (
        f"{outcome.rows_read:,} read, {outcome.rows_rejected:,} rejected, "
        f"{outcome.rows_warned:,} warned, {len(outcome.problems):,} problems, "
        f"{len({rt for rt, _ in outcome.values}):,} RT, {len(outcome.values):,} figures"
        if outcome
        else f"no outcome: {report.problems[:3]}"
    )
    if commit:
        detail += (
            f"; dry run {previewed:.2f} s + "
            + " + ".join(f"{name} {part:.2f} s" for name, part in parts)
            + f" (upload {upload})"
        )
    return {"seconds": seconds, "cpu": cpu, "rss_before": before, "detail": detail}


def _step_b(path: Path, url: str) -> dict:
    return _dry_run_and_commit(path, url, commit=False)


def _step_c(path: Path, url: str) -> dict:
    return _dry_run_and_commit(path, url, commit=True)


def _step_person_b(path: Path, url: str) -> dict:
    return _dry_run_and_commit(path, url, commit=False, set_code=PERSON_SET)


def _step_profile(path: Path, url: str) -> dict:
    """The dry run under cProfile: the pipeline's functions by cumulative time."""
    import cProfile
    import pstats

    from sqlmodel import Session

    from transparency.indicator_sets import load_indicator_sets
    from transparency.services.imports import preview_import

    code = PERSON_SET if path.name.startswith("dispendukcapil") else SET_CODE
    iset = load_indicator_sets(SEED / "indicator_sets.json")[code]
    with tempfile.TemporaryDirectory() as folder:
        engine = _prepared_engine(url, folder)
        data = path.read_bytes()
        with Session(engine) as session:
            profile = cProfile.Profile()
            start = time.perf_counter()
            profile.runcall(preview_import, session, data, path.name, iset, PERIOD)
            seconds = time.perf_counter() - start
        engine.dispose()
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(r"importing|codes|spreadsheets|services/imports", 30)
    stats.sort_stats("tottime").print_stats(25)
    return {
        "seconds": seconds,
        "cpu": seconds,
        "rss_before": 0.0,
        "detail": "profiled (times inflated)",
    }


STEPS = {
    "a": _step_a,
    "b": _step_b,
    "c": _step_c,
    "d": _step_d,
    "person_b": _step_person_b,
    "profile": _step_profile,
}


def _child(step: str, path: str, url: str, out: str) -> None:
    """Entry point of a child process: run one step and write its figures as JSON."""
    import resource

    result = STEPS[step](Path(path), url)
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(out).write_text(json.dumps(result))


# ---------------------------------------------------------------- the run (in the parent)


def _run_child(step: str, path: Path, url: str = "") -> dict:
    """Run one step in a fresh interpreter that imports only what the step needs."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    code = "import sys; from benchmarks.imports import _child; _child(*sys.argv[1:])"
    load = os.getloadavg()[0]
    try:
        subprocess.run(
            [sys.executable, "-c", code, step, str(path), url, out], cwd=ROOT, check=True
        )
        result = json.loads(Path(out).read_text())
    finally:
        Path(out).unlink(missing_ok=True)
    result["load"] = (load + os.getloadavg()[0]) / 2
    return result


def _database_url() -> str:
    return os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL") or ""


def _verdict(step: str, time_ratio: float, memory_ratio: float) -> str:
    limits = TARGETS.get(step)
    if not limits:
        return ""
    parts = []
    for name, ratio, limit in (
        ("time", time_ratio, limits[0]),
        ("memory", memory_ratio, limits[1]),
    ):
        if limit is not None:
            parts.append(f"{name} ≤ {limit}×: {'yes' if ratio <= limit else 'NO'}")
    return "; ".join(parts)


def bench_imports(rows: int | None = None) -> list[dict]:
    """Measure the household file's steps (a)–(d) and the person file's (a) and (b), and
    print their tables (``BENCH_IMPORT_ONLY`` picks one); returns their rows."""
    only = os.environ.get("BENCH_IMPORT_ONLY", "")
    results = []
    if only in ("", "households"):
        results += bench_households(rows)
    if only in ("", "persons"):
        results += bench_persons(rows)
    return results


def bench_persons(rows: int | None = None) -> list[dict]:
    """The SIAK person file: (a) the calamine floor and (b) the dry run, in one run."""
    rows = rows or int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    path = person_file(rows)
    url = _database_url()
    print(
        f"person import (SIAK layout), {rows:,} persons; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    if os.environ.get("BENCH_IMPORT_PROFILE"):
        result = _run_child("profile", path, url)
        print(f"profiled dry run: {result['seconds']:.1f} s")
        return [result]
    plan = [("a", "(a) calamine to_python (floor)", ""), ("person_b", "(b) dry run, SQLite", "")]
    if url:
        plan += [("person_b", "(b) dry run, PostgreSQL", url)]
    return _measure(plan, path, url, {"person_b": "b"})


def bench_households(rows: int | None = None) -> list[dict]:
    """Measure steps (a)–(d) on the household file and print the table; returns its rows."""
    rows = rows or int(os.environ.get("BENCH_IMPORT_ROWS", "1000000"))
    path = household_file(rows)
    url = _database_url()
    print(
        f"household import, {rows:,} families; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    if os.environ.get("BENCH_IMPORT_PROFILE"):
        result = _run_child("profile", path, url)
        print(f"profiled dry run: {result['seconds']:.1f} s")
        return [result]
    plan = [("a", "(a) calamine to_python (floor)", "")]
    plan += [("b", "(b) dry run, SQLite", ""), ("c", "(c) dry run + commit, SQLite", "")]
    if url:
        plan += [
            ("b", "(b) dry run, PostgreSQL", url),
            ("c", "(c) dry run + commit, PostgreSQL", url),
        ]
    if not os.environ.get("BENCH_IMPORT_SKIP_PANDAS"):  # (d) alone takes ten minutes
        plan += [("d", "(d) pandas read_excel openpyxl (ref.)", "")]
    return _measure(plan, path, url)


def _measure(plan, path: Path, url: str, targets: dict[str, str] | None = None) -> list[dict]:
    """Run each step of the plan in its own child and print the table against (a)."""
    targets = targets or {}
    results = []
    for step, label, step_url in plan:
        result = _run_child(step, path, step_url)
        result.update(step=step, label=label)
        results.append(result)
        print(
            f"  {label}: {result['seconds']:.2f} s (CPU {result['cpu']:.2f} s), peak "
            f"{result['peak_mib']:.0f} MiB (before the clock {result['rss_before']:.0f} MiB), "
            f"load {result['load']:.2f}; {result['detail']}"
        )
    floor = results[0]
    print()
    print(
        "Targets are judged on wall time; the CPU columns (this process only, not the "
        "database server) are steadier when the machine is loaded."
    )
    print(
        f"{'step':<40} {'seconds':>8} {'×(a)':>6} {'CPU s':>8} {'×(a)':>6} {'peak MiB':>9}"
        f" {'×(a)':>6} {'load':>5}  target"
    )
    for result in results:
        result["time_ratio"] = result["seconds"] / floor["seconds"]
        result["cpu_ratio"] = result["cpu"] / floor["cpu"]
        result["memory_ratio"] = result["peak_mib"] / floor["peak_mib"]
        step = targets.get(result["step"], result["step"])
        verdict = _verdict(step, result["time_ratio"], result["memory_ratio"])
        print(
            f"{result['label']:<40} {result['seconds']:>8.2f} {result['time_ratio']:>6.2f} "
            f"{result['cpu']:>8.2f} {result['cpu_ratio']:>6.2f} {result['peak_mib']:>9.0f} "
            f"{result['memory_ratio']:>6.2f} {result['load']:>5.2f}  "
            f"{verdict}"
        )
    if not url:
        print(
            "PostgreSQL skipped: set BENCH_DATABASE_URL=postgresql://user@host:5432/db "
            "(its public schema is dropped and recreated) to measure (b) and (c) there too."
        )
    return results


if __name__ == "__main__":
    bench_imports()
