"""Hostile upload files, generated in memory: the builders of the security battery's
conventions (``xlsx_bytes``, ``patch_zip``, ``raw_zip``) and one generator per hostile
case that more than one test module sends (the container checks called directly in
``test_containers.py``, the same files through the upload pages in
``test_battery_upload_web.py``). No hostile file is ever committed as a binary.
"""

import io
import itertools
import random
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import openpyxl

MIB = 1024**2
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SHEET = "xl/worksheets/sheet1.xml"


# --- builders --------------------------------------------------------------------------


def xlsx_bytes(mutate: Callable[[openpyxl.Workbook], None] | None = None) -> bytes:
    """A small real workbook made by openpyxl in memory, changed by ``mutate`` first."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["KODE KELURAHAN", "RW", "RT", "JUMLAH"])
    sheet.append(["35.78.07.1002", "001", "002", 12])
    if mutate:
        mutate(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def patch_zip(data: bytes, parts: dict) -> bytes:
    """Rewrite or add parts (bytes, or an iterable of chunks streamed in); None removes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    names = {key.filename if isinstance(key, zipfile.ZipInfo) else key for key in parts}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in names:
                target.writestr(info, source.read(info))
        for key, content in parts.items():
            if content is None:
                continue
            if isinstance(content, bytes):
                target.writestr(key, content)
            else:
                with target.open(key, "w") as stream:
                    for chunk in content:
                        stream.write(chunk)
    return out.getvalue()


def part(data: bytes, name: str) -> bytes:
    """One part's bytes from an archive."""
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def deflate(chunks: Iterable[bytes]) -> bytes:
    """Raw deflate, as stored in a ZIP entry."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return b"".join(compressor.compress(chunk) for chunk in chunks) + compressor.flush()


def spaces(megabytes: int) -> Iterable[bytes]:
    """So many MiB of spaces, one MiB at a time."""
    block = b" " * MIB
    return itertools.repeat(block, megabytes)


@dataclass
class Raw:
    """One entry for ``raw_zip``: stored bytes and whatever headers we care to forge."""

    name: bytes
    plain: bytes  # the uncompressed content the CRC is computed over
    payload: bytes | None = None  # bytes as stored; default: deflate(plain)
    method: int = zipfile.ZIP_DEFLATED
    size: int | None = None  # declared uncompressed size; default len(plain)
    crc: int | None = None
    external_attr: int = 0
    flags: int = 0

    def stored(self) -> bytes:
        """The bytes written after the local header."""
        if self.payload is not None:
            return self.payload
        return deflate([self.plain]) if self.method == zipfile.ZIP_DEFLATED else self.plain

    def fields(self) -> tuple:
        """flags, method, time, date, crc, compressed and declared size."""
        crc = zlib.crc32(self.plain) if self.crc is None else self.crc
        size = len(self.plain) if self.size is None else self.size
        return (self.flags, self.method, 0, 0x21, crc, len(self.stored()), size)

    def local_header(self) -> bytes:
        """The entry's local file header, name and stored bytes, as ``raw_zip`` writes it."""
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, *self.fields(), len(self.name), 0)
        return header + self.name + self.stored()


def raw_zip(entries: list[Raw], offsets: dict[int, int] | None = None, gap: bytes = b"") -> bytes:
    """An archive written byte by byte: forged sizes, modes, offsets, bytes between entries."""
    out, places = bytearray(), []
    for index, entry in enumerate(entries):
        if index:
            out += gap
        places.append(len(out))
        out += entry.local_header()
    start = len(out)
    for index, entry in enumerate(entries):
        offset = (offsets or {}).get(index, places[index])
        out += struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            0x0314,
            20,
            *entry.fields(),
            len(entry.name),
            0,
            0,
            0,
            0,
            entry.external_attr,
            offset,
        )
        out += entry.name
    count = len(entries)
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(out) - start, start, 0)
    return bytes(out)


def raw_entries(data: bytes) -> list[Raw]:
    """The entries of a real archive, ready to be forged."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    return [Raw(info.filename.encode(), archive.read(info)) for info in archive.infolist()]


# --- zip bombs (UP-02) -----------------------------------------------------------------------


def ratio_bomb(megabytes: int = 50) -> bytes:
    """(a) A sheet of ``megabytes`` MiB of spaces, deflated to about 1 KB per MiB."""
    return patch_zip(xlsx_bytes(), {SHEET: spaces(megabytes)})


def total_size_bomb(parts: int = 10, kilobytes: int = 512) -> bytes:
    """(b) Many parts, each small enough to escape the ratio limit (at most 1 MiB), that
    together pass a lowered total limit."""
    extra = {f"xl/worksheets/sheet{n}.xml": b" " * (kilobytes * 1024) for n in range(2, parts + 2)}
    return patch_zip(xlsx_bytes(), extra)


def many_entries(count: int) -> bytes:
    """(c) A workbook with ``count`` more empty entries."""
    buffer = io.BytesIO(xlsx_bytes())
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(count):
            archive.writestr(f"xl/media/p{number}.bin", b"")
    return buffer.getvalue()


def quoted_overlap() -> bytes:
    """(d) An entry whose directory record points inside another entry's data."""
    inner = Raw(b"xl/media/b.bin", b" " * 100_000)
    outer = Raw(b"xl/media/a.bin", inner.local_header(), method=zipfile.ZIP_STORED)
    entries = [*raw_entries(xlsx_bytes()), outer, inner]
    body = raw_zip(entries)
    quoted = body.index(b"xl/media/a.bin") + len(b"xl/media/a.bin")
    return raw_zip(entries, offsets={len(entries) - 1: quoted})


def forged_size_bomb(megabytes: int) -> bytes:
    """(e) A part of ``megabytes`` MiB of spaces whose headers declare 100 bytes."""
    entries = raw_entries(xlsx_bytes())
    big = Raw(b"xl/worksheets/sheet2.xml", b"", payload=deflate(spaces(megabytes)), size=100)
    big.crc = 0  # the CRC cannot be checked before the cap; what matters is where reading stops
    return raw_zip([*entries, big])


# --- disguised and unsupported formats (UP-03) -----------------------------------------------


def legacy_xls_header() -> bytes:
    """An OLE2 file with a Workbook stream name and nothing else: looks like an .xls."""
    return OLE + bytes(500) + "Workbook".encode("utf-16-le") + bytes(500)


# A real legacy workbook: BIFF8 records in the "Workbook" stream of an OLE2 compound file
# (MS-XLS, MS-CFB), written byte by byte: no library in the environment writes .xls.
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
XLS_ROWS = [["KODE KELURAHAN", "RW", "RT", "JUMLAH"], ["35.78.07.1002", "001", "002", 12.0]]


def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _bof(substream: int) -> bytes:
    """BIFF8 BOF: version 0x0600; 0x0005 the workbook globals, 0x0010 a worksheet."""
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 6))


def biff8(rows: list[list], sheet: str = "Data", after_bof: bytes = b"") -> bytes:
    """A workbook stream: the globals (``after_bof`` right after their BOF, a code page and
    one sheet entry), then the sheet with LABEL (text) and NUMBER cells."""
    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, str):
                text = struct.pack("<HB", len(value), 1) + value.encode("utf-16-le")
                cells += _record(0x0204, struct.pack("<HHH", r, c, 0) + text)
            else:
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 0, value))
    width = max(len(row) for row in rows)
    dimensions = _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
    worksheet = _bof(0x0010) + dimensions + cells + _record(0x000A)
    start = _bof(0x0005) + after_bof + _record(0x0042, struct.pack("<H", 0x04B0))
    name = struct.pack("<BB", len(sheet), 1) + sheet.encode("utf-16-le")
    offset = len(start) + 4 + 6 + len(name) + 4  # the sheet's BOF, after BOUNDSHEET and EOF
    start += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + name) + _record(0x000A)
    return start + worksheet


def compound_file(stream: bytes, name: str = "Workbook") -> bytes:
    """An OLE2 compound file (version 3, 512-byte sectors) holding one stream: header,
    one FAT sector, one directory sector, the stream (padded to 4,096 bytes, so that it
    lives in ordinary sectors rather than the mini stream)."""
    stream = stream.ljust(4096, b"\x00")
    stream += bytes(-len(stream) % 512)
    sectors = len(stream) // 512
    assert sectors <= 126
    fat = [_FAT, _END, *range(3, 2 + sectors), _END]
    fat += [_FREE] * (128 - len(fat))
    header = OLE + bytes(16) + struct.pack("<5H6x", 0x003E, 3, 0xFFFE, 9, 6)
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<109I", 0, *[_FREE] * 108)

    def entry(label: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (label + "\x00").encode("utf-16-le") if label else b""
        return encoded.ljust(64, b"\x00") + struct.pack(
            "<HBB3I16xI16xIQ", len(encoded), kind, 1, _NONE, _NONE, child, 0, start, size
        )

    directory = entry("Root Entry", 5, 1, _END, 0) + entry(name, 2, _NONE, 2, len(stream))
    directory += entry("", 0, _NONE, 0, 0) * 2
    return header + struct.pack("<128I", *fat) + directory + stream


def legacy_xls(rows: list[list] = XLS_ROWS) -> bytes:
    """A real .xls workbook with one sheet "Data" holding ``rows``."""
    return compound_file(biff8(rows))


def encrypted_xls() -> bytes:
    """A password-protected .xls: a FILEPASS record (RC4 CryptoAPI) right after the BOF of
    the workbook globals, as Excel writes it (the records after it would be encrypted)."""
    filepass = _record(0x002F, struct.pack("<HHH", 1, 4, 2) + bytes(48))
    return compound_file(biff8(XLS_ROWS, after_bof=filepass))


def damaged_xls() -> bytes:
    """A real .xls whose workbook stream ends in the middle of its sheet's records."""
    stream = biff8(XLS_ROWS)
    return compound_file(stream[: len(stream) - 30])


def encrypted_ooxml() -> bytes:
    """A password-protected .xlsx: an OLE2 file with the encryption streams."""
    data = OLE + bytes(1000) + "EncryptionInfo".encode("utf-16-le") + bytes(100)
    return data + "EncryptedPackage".encode("utf-16-le") + bytes(1000)


def ods() -> bytes:
    """An OpenDocument spreadsheet (its mimetype and content parts)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
        archive.writestr("META-INF/manifest.xml", "<manifest:manifest/>")
    return buffer.getvalue()


def xlsb() -> bytes:
    """An Excel binary workbook: a package with xl/workbook.bin instead of workbook.xml."""
    return patch_zip(xlsx_bytes(), {"xl/workbook.xml": None, "xl/workbook.bin": b"\x83\x01\x00"})


HTML_TABLE = b"<html><body><table><tr><td>RW</td></tr></table></body></html>"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48)
CSV_TEXT = b"KODE,RW,RT\n35.78.07.1002,001,002\n"


def truncated() -> bytes:
    """The first half of a real workbook."""
    data = xlsx_bytes()
    return data[: len(data) // 2]


def declared_encoding(encoding: str) -> bytes:
    """A workbook whose sheet declares an encoding no spreadsheet program writes (its body
    is UTF-7 text hiding a DTD, read as such by a parser that honours the declaration)."""
    text = (
        f'<?xml version="1.0" encoding="{encoding}"?>'
        "+ADw-!DOCTYPE x +AFs-+ADw-!ENTITY a +ACI-b+ACI-+AD4-+AF0-+AD4-<worksheet/>"
    )
    return patch_zip(xlsx_bytes(), {SHEET: text.encode("ascii")})


# --- active or foreign content (UP-04) -------------------------------------------------------


def with_part(name: str, content: bytes = b"<x/>") -> bytes:
    """A workbook with one more part."""
    return patch_zip(xlsx_bytes(), {name: content})


def macro_content_type(content_type: str) -> bytes:
    """A workbook whose [Content_Types].xml declares a macro-enabled type."""
    data = xlsx_bytes()
    types = part(data, "[Content_Types].xml").decode()
    types = types.replace(
        "</Types>", f'<Default Extension="bin" ContentType="{content_type}"/></Types>'
    )
    return patch_zip(data, {"[Content_Types].xml": types.encode()})


def symlink_entry(name: str = "xl/worksheets/sheet2.xml", target: bytes = b"/etc/passwd") -> bytes:
    """A workbook with an entry whose mode bits make it a symbolic link."""
    link = zipfile.ZipInfo(name)
    link.create_system = 3
    link.external_attr = (0o120777 << 16) | 0x20
    return patch_zip(xlsx_bytes(), {link: target})


# --- DTDs and encodings (XML-01) -------------------------------------------------------------


def billion_laughs() -> str:
    """Ten levels of ten entity references each: 10^9 "lol"s if expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    return "<!DOCTYPE lolz [" + "".join(entities) + "]>"


DTDS = {
    "billion-laughs": billion_laughs(),
    "quadratic": '<!DOCTYPE q [<!ENTITY a "' + "a" * 50_000 + '">]>',
    "xxe-file": '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]>',
    "xxe-http": '<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/">]>',
}
XML_PARTS = [
    SHEET,
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "_rels/.rels",
    "[Content_Types].xml",
]
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


def inject(original: bytes, dtd: str, encoding: str) -> bytes:
    """The part with a declaration and the DTD in front, in UTF-8 or UTF-16LE with BOM."""
    body = _DECLARATION.sub("", original.decode("utf-8-sig"))
    label = "UTF-8" if encoding == "utf-8" else "UTF-16"
    text = f'<?xml version="1.0" encoding="{label}"?>\n{dtd}\n{body}'
    return text.encode() if encoding == "utf-8" else b"\xff\xfe" + text.encode("utf-16-le")


def with_shared_strings(data: bytes) -> bytes:
    """The workbook with a sharedStrings part, as Excel writes one."""
    sst = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>Genteng</t></si></sst>'
    )
    return patch_zip(data, {"xl/sharedStrings.xml": sst.encode()})


def dtd_in_part(name: str, dtd: str, encoding: str = "utf-8") -> bytes:
    """A workbook (with shared strings) whose part ``name`` carries the DTD ``dtd``."""
    data = with_shared_strings(xlsx_bytes())
    return patch_zip(data, {name: inject(part(data, name), DTDS[dtd], encoding)})


# --- pathological workbooks (UP-06) ----------------------------------------------------------

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SHARED_STRINGS_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def many_styles(data: bytes, count: int = 65_000, seed: int = 6) -> bytes:
    """The workbook with a styles part of ``count`` cell formats (``cellXfs``), each a
    different mix of number format, font and fill so the part does not deflate past the
    ratio limit; the cells keep their style 0."""
    rng = random.Random(seed)
    fonts = "".join(f'<font><sz val="{size}"/></font>' for size in (10, 11, 12, 14))
    xfs = "".join(
        f'<xf numFmtId="{rng.randrange(50)}" fontId="{rng.randrange(4)}" '
        f'fillId="{rng.randrange(2)}" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for _ in range(count)
    )
    styles = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN}">'
        f'<fonts count="4">{fonts}</fonts><fills count="2"><fill><patternFill/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1">'
        '<xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{count}">{xfs}</cellXfs></styleSheet>'
    )
    return patch_zip(data, {"xl/styles.xml": styles.encode()})


def shared_first_cell(data: bytes, item: str) -> bytes:
    """The workbook with cell A1 of its sheet turned into a reference to the only item of a
    new shared-string table, ``item`` (the XML of one ``<si>``'s content), registered in
    the content types and the workbook's relationships as Excel does."""
    sheet = part(data, SHEET).decode()
    sheet, found = re.subn(r'<c r="A1" t="inlineStr"><is><t>[^<]*</t></is></c>', "", sheet)
    assert found == 1
    sheet = sheet.replace('<row r="1">', '<row r="1"><c r="A1" t="s"><v>0</v></c>', 1)
    table = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns="{MAIN}" '
        f'count="1" uniqueCount="1"><si>{item}</si></sst>'
    )
    types = (
        part(data, "[Content_Types].xml")
        .decode()
        .replace(
            "</Types>",
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_SHARED_STRINGS_TYPE}"/>'
            "</Types>",
        )
    )
    rels = (
        part(data, "xl/_rels/workbook.xml.rels")
        .decode()
        .replace(
            "</Relationships>",
            f'<Relationship Id="rIdStrings" Type="{_SHARED_STRINGS_REL}" '
            'Target="sharedStrings.xml"/></Relationships>',
        )
    )
    return patch_zip(
        data,
        {
            SHEET: sheet.encode(),
            "xl/sharedStrings.xml": table.encode(),
            "[Content_Types].xml": types.encode(),
            "xl/_rels/workbook.xml.rels": rels.encode(),
        },
    )


def rich_text_runs(data: bytes, text: str, runs: int, seed: int = 6) -> bytes:
    """Cell A1 as a shared string of ``runs`` empty rich-text runs, with font sizes of their
    own, and then one run holding ``text``: read, it is still ``text``."""
    rng = random.Random(seed)
    # 10,000 different runs (400 KB) repeated: deflate finds no repeat that far back.
    block = [f'<r><rPr><sz val="{rng.randrange(8, 400)}"/></rPr><t></t></r>' for _ in range(10_000)]
    runs_xml = "".join(itertools.islice(itertools.cycle(block), runs))
    return shared_first_cell(data, f"{runs_xml}<r><t>{text}</t></r>")


def nested_rich_text(data: bytes, text: str, depth: int, seed: int = 6) -> bytes:
    """Cell A1 as a shared string whose text sits ``depth`` ``<r>`` elements deep (no
    spreadsheet program nests runs; a parser that recurses per element would)."""
    rng = random.Random(seed)
    opening = "".join(f'<r i="{rng.randrange(10**6)}">' for _ in range(depth))
    return shared_first_cell(data, f"{opening}<t>{text}</t>{'</r>' * depth}")


def merged_ranges(data: bytes, count: int = 100_000, seed: int = 6) -> bytes:
    """The workbook with ``count`` merged ranges below and right of its table."""
    rng = random.Random(seed)
    ranges = "".join(
        f'<mergeCell ref="{column}{row}:{column}{row + rng.randrange(1, 50)}"/>'
        for row, column in (
            (rng.randrange(100, 1_000_000), rng.choice("HIJKLMNOP")) for _ in range(count)
        )
    )
    sheet = part(data, SHEET).decode()
    merges = f'</sheetData><mergeCells count="{count}">{ranges}</mergeCells>'
    assert sheet.count("</sheetData>") == 1 and "<mergeCells" not in sheet
    return patch_zip(data, {SHEET: sheet.replace("</sheetData>", merges).encode()})
