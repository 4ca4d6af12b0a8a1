"""Header bands as people write them, and which column is which field.

Pure, no I/O. A department's header is one to three rows: a group title merged over
sub-headers (``Jumlah anak usia sekolah`` over ``SD``, ``SMP``, ``SMA``), a vertically
merged cell (``Kelurahan`` over two rows), and sometimes a numbered row below it
(``(1) (2) (3)``), which is skipped. Each column's text is the stacked text of the band
(group title + sub-header). Texts are folded to tokens (capitals, punctuation and
numbering dropped, short forms written out: ``Jml`` → ``JUMLAH``, ``Kel`` →
``KELURAHAN``), and compared with each field's aliases and names by token, with
RapidFuzz for spelling variants. An alias written exactly always wins over a near match.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from transparency.codes import clean_text, is_blank
from transparency.spreadsheets import header_key

BAND_ROWS = 3  # header rows stacked at most
SCAN_ROWS = 30  # rows searched for the header
EXACT = 2.0  # the score of an alias written exactly (a near match scores at most 1)
THRESHOLD = 0.74  # the least score of a near match
TOKEN_SIMILARITY = 85  # RapidFuzz ratio from which two tokens are the same word

SHORT_FORMS = {
    "JML": "JUMLAH",
    "JMLH": "JUMLAH",
    "KEL": "KELURAHAN",
    "KELDESA": "KELURAHAN",
    "KEC": "KECAMATAN",
    "KD": "KODE",
    "KET": "KETERANGAN",
    "NO": "NOMOR",
    "NMR": "NOMOR",
    "NAMA": "NAMA",
    "DS": "DESA",
    "ANGG": "ANGGOTA",
    "KK": "KK",
    "PDDK": "PENDUDUK",
    "PENDUDUKNYA": "PENDUDUK",
    "THN": "TAHUN",
    "TH": "TAHUN",
}
# Words that say nothing about which column it is ("Jumlah anggota" is "anggota").
FILLER = frozenset({"JUMLAH", "BANYAKNYA", "TAHUN", "DAN", "YANG", "DI", "PER", "DALAM", "ORANG"})
_NUMBERING = re.compile(r"^\(?\[?\d{1,3}[.)\]]?$")


def tokens(text: object) -> tuple[str, ...]:
    """A header text as the words that matter: capitals, punctuation and numbers
    dropped, short forms written out, filler words left out."""
    folded = re.sub(r"[^0-9A-Z]+", " ", clean_text(text).upper())
    words = []
    for word in folded.split():
        if word.isdigit():
            continue
        word = SHORT_FORMS.get(word, word)
        if word not in FILLER:
            words.append(word)
    return tuple(words)


@lru_cache(maxsize=65536)
def _word(a: str, b: str) -> float:
    """How alike two words are, from 0 to 1: equal, a spelling variant (RapidFuzz), or
    one the start of the other (an abbreviation of three letters or more)."""
    if a == b:
        return 1.0
    if min(len(a), len(b)) < 3:
        return 0.0
    if a.startswith(b) or b.startswith(a):
        return 0.9
    if min(len(a), len(b)) < 4:
        return 0.0
    ratio = fuzz.ratio(a, b)
    return ratio / 100 if ratio >= TOKEN_SIMILARITY else 0.0


def similarity(text: tuple[str, ...], name: tuple[str, ...]) -> float:
    """How well a column's words match a name's words (0 to 1): every word of the name
    should be there (coverage, weighted most), and few others (precision)."""
    if not text or not name:
        return 0.0
    coverage = sum(max(_word(word, own) for own in text) for word in name) / len(name)
    if coverage < 0.8:
        return 0.0
    precise = sum(any(_word(own, word) >= 0.85 for word in name) for own in text) / len(text)
    return 0.7 * coverage + 0.3 * precise


@dataclass(frozen=True)
class Band:
    """A header band: its rows (zero-based, first and last), the row the data starts on,
    and each column's texts: every part as written and the parts stacked."""

    first: int
    last: int
    data_start: int
    parts: tuple[tuple[str, ...], ...]  # per column, its own cells' texts, top to bottom
    spread: tuple[tuple[str, ...], ...]  # per column, group titles over it (merged)

    def text(self, column: int) -> str:
        """The column's header as one text: group titles, then its own cells."""
        return " ".join((*self.spread[column], *self.parts[column])).strip()

    def own(self, column: int) -> str:
        """The column's own header cells (no group title spread over it)."""
        return " ".join(self.parts[column]).strip()


def is_numbering_row(cells: list) -> bool:
    """True for a row of column numbers under a header: ``(1) (2) (3)`` or ``1 2 3``,
    at least three, counting up."""
    numbers = []
    for cell in cells:
        if is_blank(cell):
            continue
        text = clean_text(cell)
        if not _NUMBERING.match(text):
            return False
        numbers.append(int(re.sub(r"\D", "", text)))
    return len(numbers) >= 3 and all(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))


def band(rows: list[list], first: int, last: int, merged: tuple | None = None) -> Band:
    """The band of rows ``first``..``last``: each column's own texts, and the group titles
    spread over it, by the merged ranges when they are known, else from the nearest filled
    cell to the left in an upper row (a title over blank cells)."""
    width = max((len(rows[r]) for r in range(first, last + 1)), default=0)
    parts: list[list[str]] = [[] for _ in range(width)]
    spread: list[list[str]] = [[] for _ in range(width)]
    known = bool(merged)  # no merged range at all: titles may be typed over blank cells
    covering = _merged_over(merged or (), first, last)
    for r in range(first, last + 1):
        cells = rows[r]
        title, title_end = "", -1
        for c in range(width):
            text = clean_text(cells[c]) if c < len(cells) else ""
            if text:
                parts[c].append(text)
                title, title_end = text, covering.get((r, c), -1)
                continue
            if r == last:
                continue
            if known:
                if c <= title_end:
                    spread[c].append(title)
            elif title and _under_subheaders(rows, r, last, c):
                spread[c].append(title)
    # a group title's own column: it is a title too when it spans columns
    for (r, c), end in covering.items():
        text = clean_text(rows[r][c]) if c < len(rows[r]) else ""
        if end > c and r < last and text and text in parts[c]:
            parts[c].remove(text)
            spread[c].insert(0, text)
    if not known:
        for c in range(width):
            for r in range(first, last):
                text = clean_text(rows[r][c]) if c < len(rows[r]) else ""
                spreads = c + 1 < width and text in spread[c + 1]
                if text and spreads and text in parts[c]:
                    parts[c].remove(text)
                    spread[c].insert(0, text)
    data_start = last + 1
    if data_start < len(rows) and is_numbering_row(rows[data_start]):
        data_start += 1
    return Band(
        first,
        last,
        data_start,
        tuple(tuple(p) for p in parts),
        tuple(tuple(s) for s in spread),
    )


def _merged_over(merged, first: int, last: int) -> dict[tuple[int, int], int]:
    """(row, first column) → last column of each merged range starting in the band."""
    return {(r0, c0): c1 for (r0, c0), (_r1, c1) in merged if first <= r0 <= last and c1 >= c0}


def _under_subheaders(rows: list[list], row: int, last: int, column: int) -> bool:
    """True when a blank cell of an upper header row has a sub-header below it."""
    for r in range(row + 1, last + 1):
        if column < len(rows[r]) and not is_blank(rows[r][column]):
            return True
    return False


@dataclass(frozen=True)
class Names:
    """What each field may be headed as: aliases folded for an exact match, and aliases
    and names (an indicator's catalogue names) as words for a near match."""

    exact: dict[str, frozenset[str]]
    words: dict[str, tuple[tuple[str, ...], ...]]

    @classmethod
    def of(
        cls, aliases: dict[str, tuple[str, ...]], names: dict[str, tuple[str, ...]] | None = None
    ) -> "Names":
        """From each field's aliases and, optionally, its names for people."""
        names = names or {}
        exact = {f: frozenset(header_key(a) for a in found) for f, found in aliases.items()}
        words = {
            f: tuple(dict.fromkeys(w for w in map(tokens, (*found, *names.get(f, ()))) if w))
            for f, found in aliases.items()
        }
        return cls(exact, words)


@dataclass(frozen=True)
class Match:
    """Which column each field is in, the score of each, and the fields that more than
    one column is headed as exactly (so which to read is anybody's guess)."""

    columns: dict[str, int]
    scores: dict[str, float]
    duplicates: dict[str, list[int]]

    @property
    def strength(self) -> tuple[int, float]:
        """How good a reading this is: fields found, then the sum of their scores."""
        return len(self.columns), sum(self.scores.values())


def match(header: Band, names: Names) -> Match:
    """Put each field on the column it is best headed as: exact aliases first, then near
    matches by score, each column and each field used once."""
    candidates = []
    exact_columns: dict[str, list[int]] = {}
    for column in range(len(header.parts)):
        texts = {header.text(column), header.own(column), *header.parts[column]} - {""}
        if not texts:
            continue
        keys = {header_key(text) for text in texts}
        words = {tokens(text) for text in texts} - {()}
        for name in names.exact:
            if keys & names.exact[name]:
                exact_columns.setdefault(name, []).append(column)
                candidates.append((EXACT, column, name))
                continue
            score = max((_similarity(w, n) for w in words for n in names.words[name]), default=0.0)
            if score >= THRESHOLD:
                candidates.append((score, column, name))
    candidates.sort(key=lambda item: (-item[0], item[1]))
    columns: dict[str, int] = {}
    scores: dict[str, float] = {}
    used: set[int] = set()
    for score, column, name in candidates:
        if name in columns or column in used:
            continue
        columns[name], scores[name] = column, score
        used.add(column)
    duplicates = {name: found for name, found in exact_columns.items() if len(found) > 1}
    return Match(columns, scores, duplicates)


@lru_cache(maxsize=65536)
def _similarity(text: tuple[str, ...], name: tuple[str, ...]) -> float:
    return similarity(text, name)


def locate(
    rows: list[list], names: Names, merged: tuple | None = None
) -> tuple[Band, Match] | None:
    """The header band among the first rows that reads the most fields best (one to
    ``BAND_ROWS`` rows; fewer rows win a tie), with its match; None if no row matches."""
    best: tuple[tuple, Band, Match] | None = None
    for last in range(min(SCAN_ROWS, len(rows))):
        if not any(_has_letters(cell) for cell in rows[last]):
            continue
        for extra in range(BAND_ROWS):
            first = last - extra
            if first < 0 or not any(_has_letters(cell) for cell in rows[first]):
                break
            found = band(rows, first, last, merged)
            matched = match(found, names)
            if not matched.columns:
                continue
            rank = (*matched.strength, -extra)
            if best is None or rank > best[0]:
                best = (rank, found, matched)
    return None if best is None else (best[1], best[2])


def _has_letters(cell: object) -> bool:
    return isinstance(cell, str) and any(ch.isalpha() for ch in cell)
