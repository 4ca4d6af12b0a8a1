"""Checks on an uploaded file's bytes, run before any spreadsheet library sees them.

Pure and standard library only: bytes in, a ``Container`` out, or ``UnreadableFile``
raised with one specific code. No Flask, no database, and never openpyxl, pandas or
calamine: this module decides whether those may read the bytes at all. Nothing is
extracted to disk; every ZIP part is decompressed in 64 KiB chunks and its real size
counted, whatever the headers declare. Cell values are the readers' business, not this
module's.

The scan also notes, in passing, the rows and columns each worksheet part marks hidden
(``Container.hidden``): the dry run reports them (battery SS-06), and the bytes are
already streaming past here, so nothing is inflated twice. And it notes the first cell
of a worksheet that holds something beyond the column limit (``Container.outside``, SZ-01):
the reader pads every row of a sheet as wide as its widest cell, so one stray value at
XFD1 above 5,000 rows would make it build 80 million cells; ``spreadsheets`` refuses
the file naming that cell before the reader sees it.

Codes raised (``Problem.code``; the params in brackets):

- ``file.empty`` — the file has no bytes.
- ``file.too_large`` [limit, size] — more bytes than the upload limit.
- ``file.not_spreadsheet`` [filename] — not a workbook or a CSV (PDF, image, program,
  a ZIP that is no workbook, binary data named .csv, a Word file in OLE2 form).
- ``file.html_table`` [filename] — a web page (or XML) saved under a spreadsheet name.
- ``file.encrypted`` — password-protected (an encrypted .xlsx or .xls, or encrypted ZIP
  entries).
- ``file.ods`` — an OpenDocument spreadsheet: save it as .xlsx.
- ``file.xlsb`` — an Excel binary workbook: save it as .xlsx.
- ``file.damaged`` [detail] — the ZIP is truncated, fails its CRC, has sizes or counts
  that lie, overlapping or hidden entries, duplicate names, or a compression method
  other than stored/deflate.
- ``file.too_many_parts`` [limit, count] — more ZIP entries than allowed.
- ``file.bad_part_name`` [part] — an entry name that is absolute, climbs with "..", holds
  a backslash or a NUL, or an entry that is a symbolic link.
- ``file.expands_too_much`` [part, read, limit] — decompressed bytes passed the total
  limit, or one large part expands more than the ratio limit (also [ratio]).
- ``file.active_content`` [part] — macros, ActiveX, embedded objects, external links,
  data connections, custom ribbons, a macro-enabled content type, or a nested archive.
- ``file.xml_dtd`` [part] — an XML part with a DOCTYPE or ENTITY declaration (in UTF-8 or
  UTF-16).
- ``file.xml_encoding`` [part, encoding] — an XML part in an encoding other than
  UTF-8/UTF-16 (declared, or UTF-32 or EBCDIC by its first bytes): no spreadsheet program
  writes one, and the scan for DTDs could not read it.
- ``file.too_many_sheets`` [limit, count] — more sheets than allowed.
"""

import codecs
import io
import os
import re
import struct
import sys
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NoReturn

from zlib_ng import zlib_ng

from transparency.problems import Problem, UnreadableFile

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CHUNK = 64 * 1024  # bytes decompressed per read
LARGE_PART = 1024**2  # the ratio limit applies to parts bigger than this

_CENTRAL_SIGNATURE = b"PK\x01\x02"
_LOCAL_HEADER = 30  # fixed part of a local file header
_DESCRIPTOR_SIZES = (12, 16, 20, 24)  # data descriptor, with or without signature, zip64
_TAIL = 64  # bytes or characters kept between chunks so a marker split in two is still seen
_MAX_ROOT_TAG = 64 * 1024  # an <sst …> start tag longer than this is not a real one
_TRUSTED_COUNT = 100_000  # a declared count up to this costs little even if it lies

_BINARY_MAGICS = (b"%PDF", b"\x89PNG", b"MZ", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"7z\xbc\xaf")
_HTML_START = re.compile(r"<(?:!doctype|html|head|body|table|meta|\?xml|style)\b", re.IGNORECASE)
_XML_NAMES = (".xml", ".rels", ".vml")
_XML_ENCODINGS = {"utf-8", "utf8", "utf-16", "utf16", "utf-16le", "utf-16be"}
_UNREAD_CODECS = {"utf-32": "UTF-32", "cp500": "EBCDIC"}  # sniffed, never scanned: named
_DECLARATION = re.compile(r"<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")
_DTD = re.compile(
    rb"<!(?:doctype|entity)"
    rb"|<\x00!\x00(?:d\x00o\x00c\x00t\x00y\x00p\x00e|e\x00n\x00t\x00i\x00t\x00y)",
    re.IGNORECASE,
)
_MACRO_TYPE = re.compile(r"macroenabled|vbaproject", re.IGNORECASE)
_SHEET = re.compile(r"<(?:[\w.-]{1,32}:)?sheet[\s/>]")
_SST = re.compile(r"<(?:[\w.-]{1,32}:)?sst[\s/>]")
_SI = re.compile(r"<(?:[\w.-]{1,32}:)?si[\s/>]")
_UNIQUE_COUNT = re.compile(r"\suniqueCount\s*=\s*([\"'])\s*(\d+)\s*\1")
_ACTIVE_PREFIXES = ("xl/activex/", "xl/embeddings/", "xl/externallinks/", "customui/")
_ACTIVE_NAMES = ("xl/connections.xml",)
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
_HIDDEN_TAG = re.compile(rb"<(?:[\w.-]{1,32}:)?(row|col)\s")
_HIDDEN_ON = re.compile(rb"""\shidden\s*=\s*["'](?:1|true)["']""")
_ROW_NUMBER = re.compile(rb"""\sr\s*=\s*["'](\d{1,7})["']""")
_COL_SPAN = re.compile(rb"""\s(min|max)\s*=\s*["'](\d{1,5})["']""")
_MAX_TAG = 64 * 1024  # a start tag longer than this is no row or column of a real sheet
_DIMENSION = re.compile(
    rb"""<(?:[\w.-]{1,32}:)?dimension\s[^>]*?\bref\s*=\s*["']([^"']{0,40})["']"""
)
_SHEET_DATA = re.compile(rb"<(?:[\w.-]{1,32}:)?sheetData[\s/>]")
_LAST_COLUMN = re.compile(r"\$?([A-Z]{1,3})\$?[0-9]{0,7}$")
_CELL_START = re.compile(rb"<(?:[\w.-]{1,32}:)?c\s")
_MAX_HEAD = 256 * 1024  # the dimension precedes <sheetData>, within the part's first bytes
_REF_TAIL = 32  # bytes kept between chunks, besides an unfinished tag: r="XFD1048576"
_ENCRYPTED_STREAMS = (
    "EncryptionInfo".encode("utf-16-le"),
    "EncryptedPackage".encode("utf-16-le"),
)
_WORKBOOK_STREAMS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
# BIFF8 records: BOF (0x0809, 16 bytes, version 0x0600, the workbook globals 0x0005),
# WRITEPROTECT (0x0086, empty) and the type of FILEPASS (0x002F).
_GLOBALS_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"
_WRITE_PROTECT = b"\x86\x00\x00\x00"
_FILE_PASS = b"\x2f\x00"


@dataclass(frozen=True)
class Limits:
    """How much a file may hold. ``max_cell_chars`` is applied by the CSV reader; in a
    workbook only the cells the import reads matter, and an overlong one there is a row
    error (not a count, not a known value)."""

    max_bytes: int = 150 * 1024**2
    max_entries: int = 500
    max_uncompressed: int = 1536 * 1024**2  # 1.5 GiB, counted while streaming
    max_ratio: int = 200  # per part, for parts over 1 MiB uncompressed
    max_sheets: int = 50
    max_cell_chars: int = 32_767
    # A sheet's extent, checked by the reader before it builds rows (SZ-01, SZ-02): a city
    # family list is about a million rows; no department table is wider than this.
    max_rows: int = 1_200_000
    max_columns: int = 200  # SECURITY.md's starting limit


@dataclass(frozen=True)
class Hidden:
    """What one worksheet hides: (first, last) ranges of Excel row and column numbers,
    both 1-based, in the order the sheet lists them."""

    rows: tuple[tuple[int, int], ...] = ()
    columns: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Container:
    """What the bytes are: "xlsx", "xls" or "csv", with parts and real size in bytes, and
    per worksheet part of an .xlsx (``xl/worksheets/sheet1.xml``, lower case) what it hides
    and the first cell past ``Limits.max_columns`` that holds something (``"XFD1"``)."""

    kind: str
    parts: int
    uncompressed: int
    hidden: dict[str, Hidden] = field(default_factory=dict)
    outside: dict[str, str] = field(default_factory=dict)


DEFAULT_LIMITS = Limits()


def inspect(data: bytes, filename: str, limits: Limits = DEFAULT_LIMITS) -> Container:
    """Say what an upload is, or raise ``UnreadableFile`` with the reason it is refused."""
    if not data:
        _fail("file.empty")
    if len(data) > limits.max_bytes:
        _fail("file.too_large", limit=limits.max_bytes, size=len(data))
    if data.startswith((ZIP_MAGIC, EMPTY_ZIP_MAGIC)):
        return _inspect_zip(data, filename, limits)
    if data.startswith(OLE_MAGIC):
        return _inspect_ole(data, filename)
    return _inspect_text(data, filename)


def assert_defused() -> None:
    """Refuse to go on if openpyxl would parse XML without defusedxml (XML-03)."""
    setting = os.environ.get("OPENPYXL_DEFUSEDXML")
    if setting is not None and setting != "True":  # openpyxl defuses only for exactly "True"
        raise RuntimeError(
            f"OPENPYXL_DEFUSEDXML={setting!r} turns off openpyxl's defusedxml; unset it"
        )
    try:
        __import__("defusedxml")
    except ImportError as exc:
        raise RuntimeError("defusedxml is not installed; it is a hard dependency") from exc
    loaded = sys.modules.get("openpyxl.xml")
    if loaded is not None and getattr(loaded, "DEFUSEDXML", True) is not True:
        raise RuntimeError("openpyxl was imported without defusedxml; restart without it")


_UNSAFE_NAME_CHARS = re.compile(
    '[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\\\\/:*?"<>|]'
)


def clean_filename(name: str, limit: int = 120) -> str:
    """A sent file's name as metadata to show (UP-05): the last path segment only, no
    control or bidirectional-override characters, no characters Windows forbids, at most
    ``limit`` characters keeping the extension. Never used as a path: files are stored in
    the database under the upload's id."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = _UNSAFE_NAME_CHARS.sub("_", name).strip(" .")
    if len(name) > limit:
        stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        name = name[: limit - len(keep) - 1].rstrip(" .") + "." + keep if keep else name[:limit]
    return name or "file"


def _fail(code: str, **params: object) -> NoReturn:
    """Raise the refusal with this code and these parameters."""
    raise UnreadableFile(Problem(code, params=params))


def _shown(name: str) -> str:
    """A part name safe to show: printable characters only, at most 120 of them."""
    return "".join(c if c.isprintable() else "?" for c in name)[:120]


# --- legacy Excel and text ---------------------------------------------------------------


def _inspect_ole(data: bytes, filename: str) -> Container:
    """An OLE2 compound file: an encrypted .xlsx, a legacy .xls (password-protected or
    not), or something else."""
    if any(stream in data for stream in _ENCRYPTED_STREAMS):
        _fail("file.encrypted")
    if not any(stream in data for stream in _WORKBOOK_STREAMS):
        _fail("file.not_spreadsheet", filename=filename)  # a .doc or .msg, say
    if _xls_encrypted(data):
        _fail("file.encrypted")
    return Container("xls", 1, len(data), xls_hidden(data))


_BIFF_BOF, _BIFF_EOF, _BIFF_SHEET = 0x0809, 0x000A, 0x0085
_BIFF_ROW, _BIFF_COLINFO = 0x0208, 0x007D
_ROW_HIDDEN = 0x0020  # ROW grbit fDyZero: the row is hidden
_COLUMN_HIDDEN = 0x0001  # COLINFO grbit fHidden
MAX_HIDDEN_RANGES = 100_000


def xls_hidden(data: bytes) -> dict[str, Hidden]:
    """What each worksheet of a BIFF8 .xls hides, by sheet name: its ROW records with
    fDyZero and COLUMN records (COLINFO) with fHidden, read record by record from the
    workbook stream (bounded by the stream's length); the same ranges an .xlsx gives.
    A stream that cannot be read hides nothing here (the reader then says why)."""
    try:
        stream = _ole_stream(data, ("Workbook", "Book"))
        return _biff_hidden(stream) if stream else {}
    except (struct.error, IndexError, ValueError):
        return {}


_SECTOR_END = 0xFFFFFFFA  # FAT values from here on are markers (end of chain, free …)
MAX_SECTORS = 1 << 20  # sectors followed in one chain (a 512 MiB stream at 512 bytes each)


def _ole_stream(data: bytes, names: tuple[str, ...]) -> bytes | None:
    """The first of the named streams of an OLE2 compound file (MS-CFB), through its FAT
    and directory; None when it is not there or lives in the mini stream (below 4,096
    bytes, which no workbook with rows is). Every chain is bounded."""
    shift = struct.unpack_from("<H", data, 30)[0]
    if shift not in (9, 12):
        return None
    size = 1 << shift
    fat_sectors, directory_start = struct.unpack_from("<II", data, 44)
    cutoff, _mini, _count, difat_start, difat_count = struct.unpack_from("<IIIII", data, 56)
    difat = list(struct.unpack_from("<109I", data, 76))
    sector = difat_start
    for _ in range(min(difat_count, MAX_SECTORS)):
        if sector >= _SECTOR_END:
            break
        entries = struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size)
        difat += entries[:-1]
        sector = entries[-1]
    fat: list[int] = []
    for sector in difat[: min(fat_sectors, MAX_SECTORS)]:
        if sector >= _SECTOR_END:
            break
        fat += struct.unpack_from(f"<{size // 4}I", data, (sector + 1) * size)

    def read(start: int, length: int | None = None) -> bytes:
        parts, sector = [], start
        limit = MAX_SECTORS if length is None else length // size + 1
        while sector < _SECTOR_END and len(parts) < limit:
            offset = (sector + 1) * size
            parts.append(data[offset : offset + size])
            sector = fat[sector] if sector < len(fat) else _SECTOR_END
        joined = b"".join(parts)
        return joined if length is None else joined[:length]

    directory = read(directory_start)
    for offset in range(0, len(directory) - 127, 128):
        entry = directory[offset : offset + 128]
        length = struct.unpack_from("<H", entry, 64)[0]
        name = entry[: max(0, min(length, 64) - 2)].decode("utf-16-le", "replace")
        if entry[66] == 2 and name in names:
            start, stream_size = struct.unpack_from("<IQ", entry, 116)
            if shift == 9:  # version 3: the size's high half may hold anything
                stream_size &= 0xFFFFFFFF
            return None if stream_size < cutoff else read(start, stream_size)
    return None


def _biff_hidden(stream: bytes) -> dict[str, Hidden]:
    """The hidden rows and columns of each sheet of a BIFF8 workbook stream."""
    names: dict[int, str] = {}  # BOF offset → sheet name (BOUNDSHEET records)
    found: dict[str, tuple[list, list]] = {}
    current = None
    position, end = 0, len(stream)
    while position + 4 <= end:
        kind, size = struct.unpack_from("<HH", stream, position)
        body = stream[position + 4 : position + 4 + size]
        if kind == _BIFF_SHEET and len(body) >= 8:
            length, flags = body[6], body[7]
            raw = body[8 : 8 + (length * 2 if flags & 1 else length)]
            names[struct.unpack_from("<I", body)[0]] = raw.decode(
                "utf-16-le" if flags & 1 else "latin-1", "replace"
            )
        elif kind == _BIFF_BOF:
            current = names.get(position)
        elif kind == _BIFF_EOF:
            current = None
        elif current is not None and kind == _BIFF_ROW and len(body) >= 16:
            row, grbit = struct.unpack_from("<H", body)[0], struct.unpack_from("<H", body, 12)[0]
            if grbit & _ROW_HIDDEN:
                _add_range(found.setdefault(current, ([], []))[0], row + 1, row + 1)
        elif current is not None and kind == _BIFF_COLINFO and len(body) >= 10:
            first, last, _width, _xf, grbit = struct.unpack_from("<HHHHH", body)
            if grbit & _COLUMN_HIDDEN:
                _add_range(found.setdefault(current, ([], []))[1], first + 1, last + 1)
        position += 4 + size
    return {
        name: Hidden(tuple(map(tuple, rows)), tuple(map(tuple, columns)))
        for name, (rows, columns) in found.items()
    }


def _add_range(ranges: list, first: int, last: int) -> None:
    """Add a (first, last) range, joined to the previous one when they touch."""
    if ranges and ranges[-1][1] + 1 >= first:
        ranges[-1][1] = max(ranges[-1][1], last)
    elif len(ranges) < MAX_HIDDEN_RANGES:
        ranges.append([first, last])


def _xls_encrypted(data: bytes) -> bool:
    """True when the BOF record of a BIFF8 workbook's globals is followed by a FILEPASS
    record (after an optional WRITEPROTECT), as in a password-protected .xls. These records
    are never encrypted; the reader only says it "cannot detect the file format"."""
    position = data.find(_GLOBALS_BOF)
    while position != -1:
        following = data[position + len(_GLOBALS_BOF) + 12 : position + 30]
        if following.removeprefix(_WRITE_PROTECT).startswith(_FILE_PASS):
            return True
        position = data.find(_GLOBALS_BOF, position + 1)
    return False


def _inspect_text(data: bytes, filename: str) -> Container:
    """Neither ZIP nor OLE2: a CSV if it is text named .csv, otherwise refused."""
    if data.startswith(_BINARY_MAGICS):
        _fail("file.not_spreadsheet", filename=filename)
    is_csv = filename.lower().endswith(".csv")
    head = _text_start(data[:2048])
    if head.startswith("<") and (not is_csv or _HTML_START.match(head)):
        _fail("file.html_table", filename=filename)
    if not is_csv or b"\x00" in data or not _decodes(data):
        _fail("file.not_spreadsheet", filename=filename)
    return Container("csv", 1, len(data))


def _text_start(head: bytes) -> str:
    """The first characters of a text file, without BOM or leading white space."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="replace")
    else:
        text = head.decode("utf-8", errors="replace")
    return text.lstrip("\ufeff \t\r\n")


def _decodes(data: bytes) -> bool:
    """True if the bytes are UTF-8 (with or without BOM) or Windows-1252 text."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


# --- OOXML packages ----------------------------------------------------------------------


def _inspect_zip(data: bytes, filename: str, limits: Limits) -> Container:
    """An .xlsx package: structure first, then every part streamed and scanned."""
    records = data.count(_CENTRAL_SIGNATURE)  # at least as many as zipfile would build
    if records > limits.max_entries:
        _fail("file.too_many_parts", limit=limits.max_entries, count=records)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_entries(infos, limits)
            _check_layout(data, infos, getattr(archive, "start_dir", len(data)))
            names = {info.filename.lower(): info for info in infos}
            _check_kind(archive, names, filename)
            _check_active_names(infos)
            total, hidden, outside = 0, {}, {}
            for info in sorted(infos, key=_stream_order):
                total = _stream_part(data, archive, info, limits, total, hidden, outside)
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        EOFError,
        OSError,
        NotImplementedError,
        RuntimeError,
        ValueError,
        struct.error,
        zlib.error,
        zlib_ng.error,
    ) as exc:
        _fail("file.damaged", detail=_shown(str(exc)))
    return Container("xlsx", len(infos), total, hidden, outside)


def _check_entries(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    """Entry count, names, link bits, encryption and compression method of every entry."""
    if len(infos) > limits.max_entries:
        _fail("file.too_many_parts", limit=limits.max_entries, count=len(infos))
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename  # zipfile cuts filename at a NUL; the original keeps it
        if _bad_name(name) or (info.external_attr >> 16) & 0o170000 == 0o120000:
            _fail("file.bad_part_name", part=_shown(name))
        if info.flag_bits & 0x41:  # traditional or strong encryption
            _fail("file.encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _fail("file.damaged", detail=f"compression method {info.compress_type}")
        if name.lower() in seen:  # part names are case-insensitive in OOXML
            _fail("file.damaged", detail=f"duplicate part {_shown(name)}")
        seen.add(name.lower())


def _bad_name(name: str) -> bool:
    """True for a name that could leave the folder it is extracted to."""
    return (
        not name
        or name.startswith("/")
        or re.match(r"[A-Za-z]:", name) is not None
        or ".." in name
        or "\\" in name
        or "\x00" in name
    )


def _check_layout(data: bytes, infos: list[zipfile.ZipInfo], start_dir: int) -> None:
    """Entries lie end to end before the directory: none overlap, no bytes hide between."""
    end, allowed = 0, (0,)
    for info in sorted(infos, key=lambda i: i.header_offset):
        offset = info.header_offset
        if offset - end not in allowed:
            _fail("file.damaged", detail="overlapping or hidden entries")
        header = data[offset : offset + _LOCAL_HEADER]
        if len(header) < _LOCAL_HEADER or not header.startswith(ZIP_MAGIC):
            _fail("file.damaged", detail="missing local header")
        name_length, extra_length = struct.unpack_from("<HH", header, 26)
        end = offset + _LOCAL_HEADER + name_length + extra_length + info.compress_size
        allowed = (0, *_DESCRIPTOR_SIZES) if info.flag_bits & 0x08 else (0,)
    if start_dir - end not in allowed:
        _fail("file.damaged", detail="overlapping or hidden entries")


def _check_kind(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo], filename: str) -> None:
    """Refuse ZIP files that are not .xlsx workbooks, naming .xlsb and .ods ones."""
    if "xl/workbook.bin" in names:
        _fail("file.xlsb")
    if "mimetype" in names and "content.xml" in names:
        with archive.open(names["mimetype"]) as stream:
            if b"opendocument" in stream.read(256):
                _fail("file.ods")
    if "[content_types].xml" not in names or "xl/workbook.xml" not in names:
        _fail("file.not_spreadsheet", filename=filename)


def _check_active_names(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse macros, ActiveX, embedded objects, external links, connections, nested ZIPs."""
    for info in infos:
        name = info.filename.lower()
        if (
            name.rsplit("/", 1)[-1].startswith("vbaproject")
            or name.startswith(_ACTIVE_PREFIXES)
            or name in _ACTIVE_NAMES
            or name.endswith(".zip")
        ):
            _fail("file.active_content", part=_shown(info.filename))


def _stream_order(info: zipfile.ZipInfo) -> tuple[int, int]:
    """Content types first (macro types say most), then the workbook, then file order."""
    first = {"[content_types].xml": 0, "xl/workbook.xml": 1}
    return first.get(info.filename.lower(), 2), info.header_offset


def _stream_part(
    data: bytes,
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    limits: Limits,
    total: int,
    hidden: dict[str, Hidden],
    outside: dict[str, str],
) -> int:
    """Decompress one part chunk by chunk, counting real bytes; the new running total.
    A worksheet's hidden rows and columns go into ``hidden`` under the part's name, its
    first cell with something past the column limit into ``outside``."""
    part, scan, crc = 0, None, 0
    is_sheet = _WORKSHEET.match(info.filename) is not None
    rows = _HiddenScan() if is_sheet else None
    extent = _ExtentScan(limits.max_columns) if is_sheet else None
    for chunk in _inflate(data, info):
        part += len(chunk)
        total += len(chunk)
        if total > limits.max_uncompressed:
            _fail(
                "file.expands_too_much",
                part=_shown(info.filename),
                read=total,
                limit=limits.max_uncompressed,
            )
        if part > LARGE_PART and part > limits.max_ratio * max(info.compress_size, 1):
            _fail(
                "file.expands_too_much",
                part=_shown(info.filename),
                read=total,
                limit=limits.max_uncompressed,
                ratio=part // max(info.compress_size, 1),
            )
        crc = zlib_ng.crc32(chunk, crc)
        if scan is None:
            scan = _PartScan(info.filename, chunk, limits)
        scan.feed(chunk)
        if rows is not None:
            rows.feed(chunk)
            extent.feed(chunk)
    if part != info.file_size:
        _fail("file.damaged", detail=f"size of {_shown(info.filename)} differs from its header")
    if crc != info.CRC:
        _fail("file.damaged", detail=f"bad CRC-32 for {_shown(info.filename)}")
    if scan is not None:
        scan.finish()
    if rows is not None and (rows.rows or rows.columns):
        hidden[info.filename.lower()] = Hidden(tuple(map(tuple, rows.rows)), tuple(rows.columns))
    if extent is not None and extent.found is not None:
        outside[info.filename.lower()] = extent.found
    return total


def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The real bytes of a stored or deflated entry, at most ``CHUNK`` at a time, whatever
    its header says. zlib-ng inflates about three times faster than zlib: a city file's
    sheet is hundreds of MB of XML, and it is inflated here once before the reader does."""
    offset = info.header_offset
    name_length, extra_length = struct.unpack_from("<HH", data, offset + 26)
    start = offset + _LOCAL_HEADER + name_length + extra_length
    raw = memoryview(data)[start : start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for position in range(0, len(raw), CHUNK):
            yield bytes(raw[position : position + CHUNK])
        return
    inflater = zlib_ng.decompressobj(-15)
    position = 0
    while not inflater.eof:
        if inflater.unconsumed_tail:
            source = inflater.unconsumed_tail
        elif position < len(raw):
            source = raw[position : position + CHUNK]
            position += len(source)
        else:
            _fail("file.damaged", detail=f"{_shown(info.filename)} ends too early")
        chunk = inflater.decompress(source, CHUNK)
        if chunk:
            yield chunk


class _PartScan:
    """Streaming checks on one part: DTD markers, XML encoding, sheet and string counts."""

    def __init__(self, name: str, head: bytes, limits: Limits):
        self.name = name
        self.shown = _shown(name)
        self.limits = limits
        self.lower = name.lower()
        self.raw_tail = b""
        self.text_tail = ""
        self.decoder = None
        self.sheets = 0
        self.sst_tag: str | None = None  # the <sst …> start tag, while it is being read
        self.unique_count: int | None = None
        self.strings = 0
        if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
            _fail("file.active_content", part=self.shown)  # a package inside the package
        codec = _sniff_codec(head)
        is_xml_name = self.lower.endswith(_XML_NAMES)
        text = head[:512].decode(codec, errors="replace").lstrip("\ufeff \t\r\n")
        if codec in _UNREAD_CODECS:
            if is_xml_name or text.startswith("<"):
                _fail("file.xml_encoding", part=self.shown, encoding=_UNREAD_CODECS[codec])
            return
        if not (is_xml_name or text.startswith("<")):
            return  # not XML: only the byte scan for DTD markers applies
        declared = _DECLARATION.match(text)
        if declared and declared.group(1).strip().lower() not in _XML_ENCODINGS:
            _fail("file.xml_encoding", part=self.shown, encoding=_shown(declared.group(1)[:40]))
        self.codec = codec
        self.decoder = codecs.getincrementaldecoder(codec)(errors="replace")
        # In UTF-8 the shared-string table's tag is visible in the bytes; the content types
        # and the workbook are small and always read as text.
        self.may_skip = codec in ("utf-8", "utf-8-sig") and self.lower not in (
            "[content_types].xml",
            "xl/workbook.xml",
        )
        self.skipped = False
        self.recent: tuple[bytes, ...] = ()  # the chunks skipped last (references only)

    def feed(self, chunk: bytes) -> None:
        """Scan the next chunk, together with the end of the previous one.

        A worksheet of a million rows is hundreds of MB of XML: the byte scans look for
        ``!`` and ``q`` (of uniqueCount) first, single bytes that memchr finds at memory
        speed, and run the regular expressions and the decoding only where they occur.
        """
        window = self.raw_tail + chunk
        if b"!" in window and _DTD.search(window):  # "!" is rare in a sheet, "<" is not
            _fail("file.xml_dtd", part=self.shown)
        self.raw_tail = window[-_TAIL:]
        if self.decoder is None:
            return
        if self.may_skip and self.sst_tag is None and self.unique_count is None:
            # Only a declared uniqueCount needs the text; "q" is rare, so memchr decides.
            if b"q" not in window or b"uniqueCount" not in window:
                self.skipped, self.recent = True, (*self.recent[-3:], chunk)
                return
            if self.skipped:  # restart the text where the bytes show a candidate: a start
                # tag of at most _MAX_ROOT_TAG characters began in the last four chunks
                self.skipped = False
                self.decoder = codecs.getincrementaldecoder(self.codec)(errors="replace")
                self.text_tail = ""
                self._feed_text(self.decoder.decode(b"".join((*self.recent[-3:], chunk))))
                return
        self._feed_text(self.decoder.decode(chunk))

    def _feed_text(self, text: str) -> None:
        """The checks that need characters rather than bytes."""
        window = self.text_tail + text
        known = len(self.text_tail)  # matches ending inside here were counted before
        self.text_tail = window[-_TAIL:]
        if self.lower == "[content_types].xml" and _MACRO_TYPE.search(window):
            _fail("file.active_content", part=self.shown)
        if self.lower == "xl/workbook.xml":
            self.sheets += sum(1 for m in _SHEET.finditer(window) if m.end() > known)
            if self.sheets > self.limits.max_sheets:
                _fail("file.too_many_sheets", limit=self.limits.max_sheets, count=self.sheets)
        self._count_strings(window, known, text)

    def _count_strings(self, window: str, known: int, text: str) -> None:
        """Read the shared-string table's declared uniqueCount and count its real items."""
        if self.unique_count is None and self.sst_tag is None:
            found = _SST.search(window)
            if found is None or found.end() <= known:
                return
            self.sst_tag = window[found.start() :]
        elif self.sst_tag is not None:
            self.sst_tag += text
        if self.sst_tag is not None:
            end = self.sst_tag.find(">")
            if end < 0:
                if len(self.sst_tag) > _MAX_ROOT_TAG:
                    _fail("file.damaged", detail=f"endless start tag in {self.shown}")
                return
            declared = _UNIQUE_COUNT.search(self.sst_tag[: end + 1])
            self.unique_count = int(declared.group(2)) if declared else 0
            self.sst_tag = None
        if self.unique_count > _TRUSTED_COUNT:
            self.strings += sum(1 for m in _SI.finditer(window) if m.end() > known)

    def finish(self) -> None:
        """Checks that need the whole part: a declared count no larger than the real one."""
        if self.unique_count and self.unique_count > max(self.strings, _TRUSTED_COUNT):
            _fail(
                "file.damaged",
                detail=f"{self.shown} declares {self.unique_count} strings, holds {self.strings}",
            )


class _HiddenScan:
    """The rows (``<row r="5" hidden="1">``) and columns (``<col min="3" max="3"
    hidden="1"/>``) a worksheet part hides, from its chunks as they stream past.

    A sheet is hundreds of MB of XML and hides nothing, as a rule: a chunk is looked at
    only when memchr finds a lowercase ``h`` in it (rare in sheet XML: no element or
    usual attribute has one) and then the word ``hidden``. A start tag cut by a chunk's
    end is kept and completed with the next chunk's first bytes.
    """

    def __init__(self) -> None:
        self.rows: list[list[int]] = []  # [first, last], consecutive rows merged
        self.columns: list[tuple[int, int]] = []
        self.tail = b""  # an unfinished start tag at the end of the last chunk

    def feed(self, chunk: bytes) -> None:
        start = 0
        if self.tail:
            end = chunk.find(b">")
            if end == -1:  # still unfinished: no real tag is this long
                self.tail = self.tail + chunk if len(self.tail) < _MAX_TAG else b""
                return
            piece, self.tail = self.tail + chunk[: end + 1], b""
            if b"hidden" in piece:
                self._scan(piece, 0)
            start = end + 1
        if b"h" in chunk and chunk.find(b"hidden", start) != -1:
            self._scan(chunk, start)
        last = chunk.rfind(b"<", start)
        if last != -1 and chunk.find(b">", last) == -1:
            self.tail = chunk[last:]

    def _scan(self, window: bytes, start: int) -> None:
        """Each complete start tag from ``start`` on that holds the word ``hidden``."""
        position = window.find(b"hidden", start)
        while position != -1:
            end = window.find(b">", position)
            if end == -1:
                return  # the tag is completed by the next chunk (``tail``)
            begin = window.rfind(b"<", start, position)
            if begin != -1 and window.find(b">", begin, position) == -1:
                self._tag(window[begin:end])
            position = window.find(b"hidden", end)

    def _tag(self, tag: bytes) -> None:
        kind = _HIDDEN_TAG.match(tag)
        if kind is None or not _HIDDEN_ON.search(tag):
            return
        if kind.group(1) == b"row":
            number = _ROW_NUMBER.search(tag)
            if number is not None:
                self._row(int(number.group(1)))
            return
        span = dict(_COL_SPAN.findall(tag))
        if b"min" in span:
            first = int(span[b"min"])
            self.columns.append((first, max(first, int(span.get(b"max", first)))))

    def _row(self, number: int) -> None:
        if self.rows and self.rows[-1][1] + 1 == number:
            self.rows[-1][1] = number
        elif not self.rows or self.rows[-1][1] < number:
            self.rows.append([number, number])


class _ExtentScan:
    """The first cell of a worksheet part, in document order, that lies past the column
    limit and holds something (``found``: ``"XFD1"``), from its chunks as they stream past.

    Spreadsheet programs write the sheet's used range first (``<dimension ref="A1:D5001"/>``,
    before ``<sheetData>``), and a stray value at XFD1 widens it to ``A1:XFD5001``. A
    dimension within the limit settles the part at no cost; only a part whose dimension
    reaches past it, or that has none (openpyxl's write-only mode writes none), has its
    cells' ``r="…"`` attributes searched, by one regular expression that matches only
    columns past the limit (about 0.2 s per 100 MB). A cell counts when its element is not
    empty: ``<c r="XFD1" s="3"/>`` (formatting only) is no data, and the reader skips it.

    A crafted part whose dimension lies (says A1:D5001 with a value at XFD1) or that
    quotes the reference with apostrophes gets past: the reader then pads, and the memory
    limit of the child process ends the job as "too big".
    """

    def __init__(self, max_columns: int):
        self.max_columns = max_columns
        self.far = re.compile(rb'r="(' + _columns_past(max_columns) + rb'[0-9]{1,7})"')
        self.head = b""  # the part's first bytes, until the dimension or the data shows
        self.armed: bool | None = None  # None: not known yet
        self.tail = b""
        self.found: str | None = None

    def feed(self, chunk: bytes) -> None:
        if self.found is not None or self.armed is False:
            return
        if self.armed is None:
            self.head += chunk
            self.armed = self._armed()
            if self.armed is None:
                return
            chunk, self.head = self.head, b""
            if not self.armed:
                return
        self._scan(chunk)

    def _armed(self) -> bool | None:
        """False when the dimension keeps within the limit, True when it reaches past it or
        the data starts without one, None while the part's start has shown neither."""
        dimension = _DIMENSION.search(self.head)
        if dimension is not None:
            last = dimension.group(1).decode("ascii", "replace").rsplit(":", 1)[-1].upper()
            column = _LAST_COLUMN.match(last.strip())
            return column is None or _column_number(column.group(1)) > self.max_columns
        if _SHEET_DATA.search(self.head) or len(self.head) > _MAX_HEAD:
            return True
        return None

    def _scan(self, chunk: bytes) -> None:
        window = self.tail + chunk
        keep = max(len(window) - _REF_TAIL, 0)
        last = window.rfind(b"<")
        if last != -1 and window.find(b">", last) == -1:
            keep = min(keep, last)  # a start tag the next chunk completes
        for match in self.far.finditer(window):
            verdict = _holds_something(window, match.start())
            if verdict is None:  # the cell goes on in the next chunk
                keep = min(keep, window.rfind(b"<", 0, match.start()))
                break
            if verdict:
                self.found = match.group(1).decode("ascii")
                return
        self.tail = window[keep:] if len(window) - keep <= _MAX_TAG else b""


def _holds_something(window: bytes, position: int) -> bool | None:
    """Whether the ``r="…"`` attribute at ``position`` belongs to a cell element that holds
    something (a value, an inline string, a formula); None if the chunk ends too early."""
    begin = window.rfind(b"<", 0, position)
    if begin == -1 or b">" in window[begin:position] or not _CELL_START.match(window, begin):
        return False  # an attribute of another element, or text
    end = window.find(b">", position)
    if end == -1:
        return None
    if window[end - 1 : end] == b"/":
        return False  # <c r="XFD1" s="3"/>: formatting only
    following = window[end + 1 : end + 3]
    if len(following) < 2:
        return None
    return following != b"</"  # <c r="XFD1"></c> is empty too


def _column_number(letters: str) -> int:
    """Excel's 1-based number of a column (A → 1, XFD → 16,384)."""
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _columns_past(limit: int) -> bytes:
    """A regular expression matching the letters of every column past column ``limit``
    (1-based) and of no column up to it: for 256 (IV), ``[A-Z]{3}|[J-Z][A-Z]|I[W-Z]``."""
    letters = ""
    number = limit
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    longer = [f"[A-Z]{{{len(letters) + 1},3}}"] if len(letters) < 3 else []
    same_length = [
        letters[:i] + f"[{chr(ord(letter) + 1)}-Z]" + "[A-Z]" * (len(letters) - i - 1)
        for i, letter in enumerate(letters)
        if letter != "Z"
    ]
    return ("(?:" + "|".join(longer + same_length or ["(?!)"]) + ")").encode("ascii")


def _sniff_codec(head: bytes) -> str:
    """The codec a part's first bytes show: by byte-order mark, else by where NULs sit."""
    if head.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        return "utf-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith(b"\x4c\x6f\xa7\x94"):  # "<?xm" in EBCDIC
        return "cp500"
    sample = head[:64]
    if sample.startswith((b"<\x00\x00\x00", b"\x00\x00\x00<")):
        return "utf-32"
    odd, even = sample[1::2], sample[0::2]
    if odd and odd.count(0) * 2 > len(odd) and even.count(0) * 4 < len(even):
        return "utf-16-le"
    if even and even.count(0) * 2 > len(even) and odd.count(0) * 4 < len(odd):
        return "utf-16-be"
    return "utf-8"
