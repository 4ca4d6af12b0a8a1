"""The intruder (issue 12): what an attacker can learn about each hidden published count.

Written apart from ``transparency/disclosure.py`` and sharing no code with it: it reads
only what the public sees, and states the attacker's knowledge from first principles.

For each period the attacker has, from the public pages, CSV, XLSX, JSON and API (which
all show the same ``published_figure`` rows):

- every publication of the period, current and earlier versions (``?versi=``), of every
  indicator and level: the shown counts, and which ones are hidden;
- the households and residents of every area (the register, shown on every area page);
- tree sums: an area's count is the sum of its children's with data, in every version;
- 0 ≤ count ≤ cap, the cap being the area's households for a count of households
  (``per_household``) and its residents otherwise;
- the relations between indicators that hold in the world (declared here, not read from
  the catalogue): people in poor families ≥ poor families, and zero together
  (``kk_gamis ≤ jiwa_gamis ≤ residents · kk_gamis``); poor + near-poor families ≤ all
  families (``kk_gamis + kk_pramis ≤ households``); children not in school ≤ the children
  of school age (``anak_tidak_sekolah ≤ anak_sd + anak_smp + anak_sma``);
- ``kk_total`` and ``jiwa_total`` are the households and residents themselves: public,
  whether a table hides them or not (they are known values, not protected cells);
- versions: the worst case of an attacker who knows exactly which RTs a correction
  changed; every other RT has the same count in both versions.

Every hidden cell's feasible interval is computed by linear programming (HiGHS, through
``highspy``): the smallest and the largest value it can take with all of the above at
once (all indicators and versions in one model, so no protection can depend on the reader
not combining two tables). LP works over the reals, which is the standard, conservative
audit; the bounds are then rounded inwards to integers (counts are whole), which can only
narrow the interval.

A hidden cell **fails** when its interval ``[lo, hi]`` (integers) is

- *narrower than k*: ``hi − lo < min(k, cap)`` (the indicator's k; where the cap itself is
  below k, the interval must be the whole ``[0, cap]``), or
- *inside 1..k−1*: ``lo ≥ 1`` and ``hi ≤ k − 1`` (the attacker knows it is a small count).

This is done once as an outsider, and once as each kind of insider, who knows some cells
exactly (fixed to their true values): a ketua RT knows every count of their RT, in every
indicator and version; a ketua RW knows every count of their RW and of each RT in it. For
an insider only the other hidden cells are judged (their own are no secret to them).

The constraints only link cells through sums and same-area relations, so the hidden cells
fall into connected components (typically one kelurahan's, or one kecamatan's where a
kelurahan total is hidden); each component is one model, re-solved with a new objective
(HiGHS keeps the basis: warm starts) and, for an insider, with the known cells' bounds
fixed. An insider whose area has no hidden cell learns nothing new, so only positions
with a hidden cell in some component are tried.
"""

import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

import highspy
import numpy as np
from sqlmodel import Session, select

from transparency.models import (
    Area,
    AreaLevel,
    Figure,
    Indicator,
    Period,
    Publication,
    PublishedFigure,
)

BASES = {"kk_total": "households", "jiwa_total": "residents"}  # the register's own counts
EPS = 1e-6
WITNESSES = 4  # random directions solved first: their points show most intervals wide


def _verdict(low: float, high: float, k: int, cap: int) -> tuple[int, int, bool, bool]:
    """The integer interval and whether it is narrower than k or inside 1..k−1."""
    lo, hi = math.ceil(low - EPS), math.floor(high + EPS)
    return lo, hi, hi - lo < min(k, cap), lo >= 1 and hi <= k - 1


@dataclass
class Report:
    """What the audit found (counts of failing hidden cells by reader)."""

    hidden: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    narrow: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    inside: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    examples: list[tuple] = field(default_factory=list)
    cells_judged: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    positions: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    components: int = 0
    solves: int = 0
    seconds: float = 0.0

    def failures(self) -> int:
        return sum(self.narrow.values()) + sum(self.inside.values())

    def summary(self) -> str:
        lines = [
            f"components {self.components}, LP solves {self.solves}, {self.seconds:.1f} s",
            "hidden cells per indicator: "
            + ", ".join(f"{code} {n}" for code, n in sorted(self.hidden.items())),
        ]
        for reader in sorted(self.cells_judged):
            lines.append(
                f"{reader}: {self.positions.get(reader, 0)} positions, "
                f"{self.cells_judged[reader]} cell judgements, "
                f"{self.narrow.get(reader, 0)} narrower than k, "
                f"{self.inside.get(reader, 0)} inside 1..k-1"
            )
        lines += [f"  e.g. {example}" for example in self.examples[:10]]
        return "\n".join(lines)


class _City:
    """The public area tree: codes, parents, caps."""

    def __init__(self, rows: list[tuple]):
        """``rows``: (id, code, parent id, level, households, residents) of every area."""
        self.code = {r[0]: r[1] for r in rows}
        self.parent = {r[0]: r[2] for r in rows}
        self.level = {r[0]: str(r[3]) for r in rows}
        self.children = defaultdict(list)
        for r in rows:
            if r[2] is not None:
                self.children[r[2]].append(r[0])
        base = {"households": defaultdict(int), "residents": defaultdict(int)}
        for r in rows:
            if r[3] == AreaLevel.RT:
                node = r[0]
                while node is not None:
                    base["households"][node] += r[4] or 0
                    base["residents"][node] += r[5] or 0
                    node = self.parent[node]
        self.base = base
        self.rw_of = {}  # RT id → its RW id
        for r in rows:
            if r[3] == AreaLevel.RT:
                self.rw_of[r[0]] = r[2]


def city_of(session: Session) -> "_City":
    """The public area tree from the database."""
    return _City(
        session.exec(
            select(Area.id, Area.code, Area.parent_id, Area.level, Area.households, Area.residents)
        ).all()
    )


@dataclass
class _Pub:
    id: int
    code: str
    k: int
    per_household: bool
    current: bool
    upload_id: object  # the version: an upload id, or (kelurahan, upload) pairs


def audit(
    session: Session,
    period_codes: list[str] | None = None,
    insiders: bool = True,
    position_step: int = 1,
    indicators: list[str] | None = None,
) -> Report:
    """Audit every published period (or the given ones). ``position_step`` > 1 tries
    every n-th insider position only (a deterministic sample, for the whole city);
    ``indicators`` limits the audit to some indicators, which must include every indicator
    linked to them (others share no constraint with them: separate components)."""
    started = time.perf_counter()
    report = Report()
    city = city_of(session)
    periods = session.exec(
        select(Period.id, Period.code)
        .join(Publication, Publication.period_id == Period.id)
        .distinct()
        .order_by(Period.code)
    ).all()
    for period_id, period_code in periods:
        if period_codes is not None and period_code not in period_codes:
            continue
        pubs, shown, truth_rt = load_period(session, period_id)
        if indicators is not None:
            pubs = [p for p in pubs if p.code in indicators]
            ids = {p.id for p in pubs}
            shown = {key: value for key, value in shown.items() if key[0] in ids}
        audit_view(city, pubs, shown, truth_rt, report, insiders, position_step)
    report.seconds = time.perf_counter() - started
    return report


def load_period(session: Session, period_id: int):
    """What the public sees of a period: its publications, every published row
    ((publication, area) → count or None), and the truth of the uploads behind them
    ((upload, indicator code) → RT → count: an insider's own cells, which RTs changed)."""
    pubs = [
        _Pub(p.id, code, k, per_household, p.is_current, _version(p))
        for p, code, k, per_household in session.exec(
            select(Publication, Indicator.code, Indicator.suppression_k, Indicator.per_household)
            .join(Indicator, Indicator.id == Publication.indicator_id)
            .where(Publication.period_id == period_id)
            .order_by(Publication.id)
        )
    ]
    by_id = {p.id: p for p in pubs}
    shown: dict[tuple[int, int], int | None] = {}
    for pub_id, area_id, value in session.exec(
        select(
            PublishedFigure.publication_id, PublishedFigure.area_id, PublishedFigure.value
        ).where(PublishedFigure.publication_id.in_(list(by_id)))
    ):
        shown[(pub_id, area_id)] = value
    # The truth (to fix an insider's cells and to know which RTs a correction changed).
    # A version is one upload (made before coverage) or the upload in force in each
    # kelurahan when published (``Publication.sources``).
    truth_rt = defaultdict(dict)
    versions = {p.upload_id for p in pubs}
    uploads = {u for v in versions for u in ([v] if isinstance(v, int) else dict(v).values())}
    codes = {p.code for p in pubs}
    indicator_codes = dict(
        session.exec(select(Indicator.id, Indicator.code).where(Indicator.code.in_(codes))).all()
    )
    figures = defaultdict(list)  # upload → (indicator code, kelurahan, area, value)
    for upload_id, indicator_id, kelurahan_id, area_id, value in session.exec(
        select(
            Figure.upload_id, Figure.indicator_id, Figure.kelurahan_id, Figure.area_id, Figure.value
        ).where(Figure.upload_id.in_(list(uploads)), Figure.period_id == period_id)
    ):
        figures[upload_id].append((indicator_codes[indicator_id], kelurahan_id, area_id, value))
    for version in versions:
        pairs = None if isinstance(version, int) else dict(version)
        for upload_id in [version] if pairs is None else sorted(set(pairs.values())):
            for code, kelurahan_id, area_id, value in figures[upload_id]:
                if pairs is None or pairs.get(kelurahan_id) == upload_id:
                    truth_rt[(version, code)][area_id] = value
    return pubs, shown, truth_rt


def _version(publication):
    """A publication's version key: its upload, or its (kelurahan, upload) pairs."""
    if publication.sources is None:
        return publication.upload_id
    return tuple(sorted((int(k), v) for k, v in publication.sources.items()))


def audit_view(city, pubs, shown, truth_rt, report, insiders=True, position_step=1) -> None:
    """Audit one period's public view (see ``load_period``) into ``report``."""
    if not pubs:
        return
    by_id = {p.id: p for p in pubs}
    rows_of = defaultdict(set)
    for pub_id, area_id in shown:
        rows_of[pub_id].add(area_id)

    def truth(pub: _Pub, area_id: int) -> int:
        leaves = truth_rt[(pub.upload_id, pub.code)]
        if area_id in leaves:
            return leaves[area_id]
        return sum(truth(pub, c) for c in city.children[area_id] if (pub.id, c) in shown)

    def cap(pub: _Pub, area_id: int) -> int:
        return city.base["households" if pub.per_household else "residents"][area_id]

    # Variables: hidden cells that are not public bases.
    var_index: dict[tuple[int, int], int] = {}
    known: dict[tuple[int, int], float] = {}
    for (pub_id, area_id), value in sorted(shown.items()):
        pub = by_id[pub_id]
        if pub.code in BASES:
            known[(pub_id, area_id)] = city.base[BASES[pub.code]][area_id]
        elif value is None:
            var_index[(pub_id, area_id)] = len(var_index)
            report.hidden[pub.code] += 1
        else:
            known[(pub_id, area_id)] = value
    if not var_index:
        return
    cells = sorted(var_index, key=var_index.get)
    # Constraints: (coefficients {var: c}, lower, upper) over the variables.
    constraints: list[tuple[dict[int, float], float, float]] = []

    def add(terms: list[tuple[float, tuple[int, int]]], lower: float, upper: float) -> None:
        coefficients: dict[int, float] = defaultdict(float)
        constant = 0.0
        for c, cell in terms:
            if cell in var_index:
                coefficients[var_index[cell]] += c
            elif cell in known:
                constant += c * known[cell]
            else:
                return  # a cell without data: the relation says nothing
        coefficients = {v: c for v, c in coefficients.items() if c != 0}
        if coefficients:
            constraints.append((coefficients, lower - constant, upper - constant))

    for pub in pubs:
        for area_id in rows_of[pub.id]:
            kids = [c for c in city.children.get(area_id, ()) if (pub.id, c) in shown]
            if kids:
                add([(1.0, (pub.id, area_id))] + [(-1.0, (pub.id, c)) for c in kids], 0, 0)
    current = {p.code: p for p in pubs if p.current}
    if "kk_gamis" in current and "jiwa_gamis" in current:
        g, j = current["kk_gamis"].id, current["jiwa_gamis"].id
        for area_id in rows_of[g] & rows_of[j]:
            add([(1.0, (g, area_id)), (-1.0, (j, area_id))], -math.inf, 0)
            residents = city.base["residents"][area_id]
            add([(1.0, (j, area_id)), (-float(residents), (g, area_id))], -math.inf, 0)
    if "kk_gamis" in current and "kk_pramis" in current:
        g, p = current["kk_gamis"].id, current["kk_pramis"].id
        for area_id in rows_of[g] & rows_of[p]:
            households = city.base["households"][area_id]
            add([(1.0, (g, area_id)), (1.0, (p, area_id))], -math.inf, households)
    school = [current[c].id for c in ("anak_sd", "anak_smp", "anak_sma") if c in current]
    if "anak_tidak_sekolah" in current and len(school) == 3:
        a = current["anak_tidak_sekolah"].id
        for area_id in rows_of[a]:
            add([(1.0, (a, area_id))] + [(-1.0, (s, area_id)) for s in school], -math.inf, 0)
    # Versions: for each correction, the RTs it did not change keep their count.
    for pub in pubs:
        if not pub.current:
            continue
        earlier = [p for p in pubs if p.code == pub.code and not p.current]
        for old in earlier:
            new_truth = truth_rt[(pub.upload_id, pub.code)]
            old_truth = truth_rt[(old.upload_id, pub.code)]
            for area_id in rows_of[pub.id] & rows_of[old.id]:
                if city.level[area_id] != AreaLevel.RT:
                    continue
                if new_truth.get(area_id) == old_truth.get(area_id):
                    add([(1.0, (pub.id, area_id)), (-1.0, (old.id, area_id))], 0, 0)
    # An insider knows the cells of their own area, and every area above it whose RTs with
    # data are all theirs (an RW of one RT is that RT's own count).
    data_rts: dict[tuple[int, int], frozenset] = {}

    def rts_below(pub_id: int, area_id: int) -> frozenset:
        key = (pub_id, area_id)
        if key not in data_rts:
            if city.level[area_id] == AreaLevel.RT:
                data_rts[key] = frozenset([area_id])
            else:
                data_rts[key] = frozenset().union(
                    *(
                        rts_below(pub_id, c)
                        for c in city.children.get(area_id, ())
                        if (pub_id, c) in shown
                    )
                )
        return data_rts[key]

    def _own_areas(kind: str, pub_id: int, area_id: int) -> list[int]:
        """The insiders of ``kind`` who know this cell: RT or RW ids."""
        below = rts_below(pub_id, area_id)
        if kind == "ketua RT":
            return sorted(below) if len(below) == 1 else []
        rws = {city.rw_of[rt] for rt in below}
        return sorted(rws) if len(rws) == 1 else []

    # Components of the variables linked by constraints.
    parent = list(range(len(cells)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for coefficients, _, _ in constraints:
        first, *rest = coefficients
        for other in rest:
            a, b = find(first), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    members = defaultdict(list)
    for v in range(len(cells)):
        members[find(v)].append(v)
    of_component = defaultdict(list)
    for index, constraint in enumerate(constraints):
        of_component[find(next(iter(constraint[0])))].append(index)
    for root in sorted(members):
        variables = members[root]
        report.components += 1
        model = _Model(
            variables,
            [constraints[i] for i in of_component[root]],
            [cap(by_id[cells[v][0]], cells[v][1]) for v in variables],
        )
        judge = _Judge(report, cells, by_id, city, cap)
        judge.all(model, "outsider", variables, set())
        if not insiders:
            continue
        for kind in ("ketua RT", "ketua RW"):
            positions = defaultdict(list)  # insider's area → the variables they know
            for v in variables:
                pub_id, area_id = cells[v]
                for own in _own_areas(kind, pub_id, area_id):
                    positions[own].append(v)
            for n, area_id in enumerate(sorted(positions)):
                if n % position_step:
                    continue
                report.positions[kind] += 1
                fixed = {
                    v: float(truth(by_id[cells[v][0]], cells[v][1])) for v in positions[area_id]
                }
                model.fix(fixed)
                judge.all(model, kind, [v for v in variables if v not in fixed], fixed)
                model.unfix(fixed)


class _Model:
    """One component's LP, re-solved for each objective."""

    def __init__(self, variables, constraints, caps):
        self.local = {v: i for i, v in enumerate(variables)}
        self.caps = caps
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("presolve", "off")  # keeps the basis between objectives
        n = len(variables)
        h.addVars(n, np.zeros(n), np.array(caps, dtype=float))
        for coefficients, lower, upper in constraints:
            index = np.array([self.local[v] for v in coefficients], dtype=np.int32)
            values = np.array(list(coefficients.values()), dtype=float)
            h.addRow(
                -highspy.kHighsInf if lower == -math.inf else lower,
                highspy.kHighsInf if upper == math.inf else upper,
                len(index),
                index,
                values,
            )
        self.h = h
        self.n = n
        self.solves = 0

    def fix(self, fixed: dict[int, float]) -> None:
        for v, value in fixed.items():
            i = self.local[v]
            self.h.changeColBounds(i, value, value)

    def unfix(self, fixed: dict[int, float]) -> None:
        for v in fixed:
            i = self.local[v]
            self.h.changeColBounds(i, 0.0, float(self.caps[i]))

    def solve(self, costs: np.ndarray) -> np.ndarray:
        """A point minimising ``costs`` (feasible: it satisfies every public constraint)."""
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), costs)
        self.h.run()
        self.solves += 1
        status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            self.h.clearSolver()  # a stale basis after a change of bounds: solve afresh
            self.h.run()
            status = self.h.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise AssertionError(f"the public constraints are infeasible or odd: {status}")
        return np.array(self.h.getSolution().col_value)


class _Judge:
    """Judges the intervals of a set of variables for one reader."""

    def __init__(self, report, cells, by_id, city, cap):
        self.report, self.cells, self.by_id, self.city, self.cap = report, cells, by_id, city, cap

    def all(self, model: _Model, reader: str, variables, fixed) -> None:
        """Judge each variable's interval. Every LP solution is a feasible point, so the
        values a variable takes over the points found so far lie inside its interval: once
        they show it wide enough (and not inside 1..k−1) it passes without an LP of its
        own; otherwise its exact minimum and maximum are solved for."""
        n = model.n
        directions = [np.ones(n), -np.ones(n)]
        rng = np.random.default_rng(len(variables))  # the same directions every run
        directions += [rng.choice([-1.0, 1.0], n) for _ in range(WITNESSES)]
        points = np.array([model.solve(d) for d in directions])
        low, high = points.min(axis=0), points.max(axis=0)
        solves = len(directions)
        for v in variables:
            i = model.local[v]
            pub_id, area_id = self.cells[v]
            pub = self.by_id[pub_id]
            k, cap = pub.k, self.cap(pub, area_id)

            lo, hi, narrow, inside = _verdict(low[i], high[i], k, cap)
            for sense in (1, -1):  # after both, low[i] and high[i] are exact
                if not (narrow or inside):
                    break
                costs = np.zeros(n)
                costs[i] = sense
                point = model.solve(costs)
                solves += 1
                np.minimum(low, point, out=low)
                np.maximum(high, point, out=high)
                lo, hi, narrow, inside = _verdict(low[i], high[i], k, cap)
            self.report.cells_judged[reader] += 1
            if narrow:
                self.report.narrow[reader] += 1
            if inside:
                self.report.inside[reader] += 1
            if (narrow or inside) and len(self.report.examples) < 50:
                self.report.examples.append(
                    (reader, pub.code, pub_id, self.city.code[area_id], lo, hi, k, cap)
                )
        self.report.solves += solves


def main(argv: list[str]) -> int:
    """``python -m tests.intruder DATABASE_URL [--step N] [--periods a,b]``: the outsider
    over every published period, then every insider (every n-th position) over the given
    periods (default: the latest published); prints the report; 1 if anything fails."""
    import argparse

    from transparency.db import make_engine

    parser = argparse.ArgumentParser(prog="python -m tests.intruder")
    parser.add_argument("url")
    parser.add_argument("--step", type=int, default=1)
    parser.add_argument("--periods", default="")
    args = parser.parse_args(argv)
    with Session(make_engine(args.url)) as session:
        outsider = audit(session, insiders=False)
        print("Outsider, every published period:")
        print(outsider.summary())
        periods = args.periods.split(",") if args.periods else None
        if periods is None:
            latest = session.exec(
                select(Period.code)
                .join(Publication, Publication.period_id == Period.id)
                .order_by(Period.starts_on.desc())
            ).first()
            periods = [latest] if latest else []
        insiders = audit(session, periods, position_step=args.step)
        print(f"Every reader, {', '.join(periods)}, every {args.step}. insider position:")
        print(insiders.summary())
    return 1 if outsider.failures() or insiders.failures() else 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
