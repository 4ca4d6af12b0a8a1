"""Container checks on uploads: every hostile file is generated in memory (here or by
``tests/hostile_files.py``, shared with the upload pages' battery), none is committed.

Battery rows UP-02, UP-03, UP-04, XML-01, XML-02 (the package side), XML-03 and SZ-02
(sheets, lying counts). Each refusal asserts its exact code.
"""

import ast
import io
import re
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from tests.hostile_files import (
    DTDS,
    MIB,
    OLE,
    SHEET,
    XML_PARTS,
    Raw,
    biff8,
    compound_file,
    declared_encoding,
    encrypted_ooxml,
    encrypted_xls,
    forged_size_bomb,
    inject,
    legacy_xls,
    legacy_xls_header,
    macro_content_type,
    many_entries,
    ods,
    part,
    patch_zip,
    quoted_overlap,
    ratio_bomb,
    raw_entries,
    raw_zip,
    symlink_entry,
    total_size_bomb,
    with_part,
    with_shared_strings,
    xlsb,
    xlsx_bytes,
)
from transparency import containers
from transparency.containers import (
    CHUNK,
    DEFAULT_LIMITS,
    LARGE_PART,
    Limits,
    assert_defused,
    inspect,
)
from transparency.problems import UnreadableFile

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def refused(data: bytes, filename: str = "data.xlsx", limits: Limits = DEFAULT_LIMITS) -> tuple:
    """The code and params ``inspect`` refuses the bytes with."""
    with pytest.raises(UnreadableFile) as caught:
        inspect(data, filename, limits)
    return caught.value.problem.code, caught.value.problem.params


def code_of(data: bytes, filename: str = "data.xlsx", limits: Limits = DEFAULT_LIMITS) -> str:
    """Just the code."""
    return refused(data, filename, limits)[0]


@pytest.fixture(scope="module")
def good() -> bytes:
    """An ordinary openpyxl workbook."""
    return xlsx_bytes()


# --- good files ----------------------------------------------------------------------------


def test_openpyxl_workbook_is_accepted(good):
    container = inspect(good, "data.xlsx")
    assert container.kind == "xlsx"
    assert container.parts == len(zipfile.ZipFile(io.BytesIO(good)).infolist())
    assert container.uncompressed == sum(
        info.file_size for info in zipfile.ZipFile(io.BytesIO(good)).infolist()
    )


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.xlsx")), ids=lambda p: p.name)
def test_sample_workbooks_are_accepted(path):
    assert inspect(path.read_bytes(), path.name).kind == "xlsx"


def test_sample_csv_is_accepted():
    path = SAMPLES / "register_rt_rw_2026.csv"
    data = path.read_bytes()
    assert inspect(data, path.name) == containers.Container("csv", 1, len(data))


@pytest.mark.parametrize(
    "data",
    [
        b"KODE;RW;RT\n35.78.07.1002;001;002\n",
        "\ufeffKELURAHAN,RW\nGenteng,001\n".encode(),
        "KELURAHAN,CATATAN\nGenteng,caf\xe9 \u2013 ok\n".encode("cp1252"),
        b"<5 TAHUN,>60 TAHUN\n3,4\n",  # a header starting with "<" is not a web page
    ],
    ids=["semicolons", "utf8-bom", "cp1252", "less-than-header"],
)
def test_csv_text_is_accepted(data):
    assert inspect(data, "Data.CSV").kind == "csv"


def test_fifty_sheets_are_accepted():
    def add_sheets(workbook):
        for number in range(49):
            workbook.create_sheet(f"S{number}")

    assert inspect(xlsx_bytes(add_sheets), "data.xlsx").kind == "xlsx"


def test_legacy_xls_header_is_accepted_as_xls():
    data = legacy_xls_header()
    assert inspect(data, "lama.xls") == containers.Container("xls", 1, len(data))


def test_a_real_xls_is_accepted_as_xls():
    data = legacy_xls()
    assert inspect(data, "lama.xls") == containers.Container("xls", 1, len(data))


# --- size and disguise (UP-01 inside the container, UP-03) ---------------------------------


@pytest.mark.parametrize("filename", ["data.xlsx", "data.csv", "data.xls"])
def test_zero_bytes_is_empty(filename):
    assert refused(b"", filename) == ("file.empty", {})


def test_one_byte_over_the_limit_is_too_large():
    assert refused(b"a,b\n" * 250 + b"x", "data.csv", Limits(max_bytes=1000)) == (
        "file.too_large",
        {"limit": 1000, "size": 1001},
    )


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(20),
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(48),
        b"KODE,RW,RT\n35.78.07.1002,001,002\n",  # a CSV renamed .xlsx
        b"just some words in a text file\n",
    ],
    ids=["pdf", "png", "exe", "csv-renamed-xlsx", "text"],
)
def test_disguised_files_are_not_spreadsheets(data):
    assert refused(data, "laporan.xlsx") == ("file.not_spreadsheet", {"filename": "laporan.xlsx"})


@pytest.mark.parametrize(
    "data",
    [
        b"<html><body><table><tr><td>RW</td></tr></table></body></html>",
        b"\xef\xbb\xbf \r\n<!DOCTYPE html><html><table></table></html>",
        "\ufeff<html><table></table></html>".encode("utf-16-le"),
        b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"/>',
    ],
    ids=["html", "bom-and-whitespace", "utf16-html", "xml-spreadsheet-2003"],
)
def test_web_page_saved_as_xls_is_an_html_table(data):
    assert code_of(data, "laporan.xls") == "file.html_table"


def test_html_named_csv_is_an_html_table():
    assert code_of(b"  <table><tr><td>1</td></tr></table>", "data.csv") == "file.html_table"


@pytest.mark.parametrize(
    "data",
    [b"a,b\n1,\x002\n", b"KODE,RW\n\x81\x8d\x8f\x90\x9d,001\n"],
    ids=["nul-byte", "not-text"],
)
def test_binary_named_csv_is_not_a_spreadsheet(data):
    assert code_of(data, "data.csv") == "file.not_spreadsheet"


def test_encrypted_ooxml_in_ole_is_encrypted():
    assert refused(encrypted_ooxml(), "rahasia.xlsx") == ("file.encrypted", {})


def test_a_password_protected_xls_is_encrypted():
    assert refused(encrypted_xls(), "rahasia.xls") == ("file.encrypted", {})
    # FILEPASS may follow a WRITEPROTECT record; a FILEPASS after anything else, or after
    # a worksheet's BOF, is no workbook protection.
    rows = [["RT"], [1.0]]
    write_protect, code_page = b"\x86\x00\x00\x00", b"\x42\x00\x02\x00\xb0\x04"
    file_pass = b"\x2f\x00\x06\x00\x01\x00\x04\x00\x02\x00"
    protected = compound_file(biff8(rows, after_bof=write_protect + file_pass))
    assert refused(protected, "lama.xls") == ("file.encrypted", {})
    late = compound_file(biff8(rows, after_bof=code_page + file_pass))
    assert inspect(late, "lama.xls").kind == "xls"
    sheet_bof = b"\x09\x08\x10\x00\x00\x06\x10\x00" + bytes(12) + b"\x2f\x00\x00\x00"
    assert inspect(compound_file(biff8(rows) + sheet_bof), "lama.xls").kind == "xls"


def test_word_document_in_ole_is_not_a_spreadsheet():
    data = OLE + bytes(500) + "WordDocument".encode("utf-16-le") + bytes(500)
    assert code_of(data, "surat.xls") == "file.not_spreadsheet"


def test_truncated_zip_is_damaged(good):
    assert code_of(good[: len(good) // 2]) == "file.damaged"
    assert code_of(b"PK\x03\x04" + bytes(100)) == "file.damaged"


def test_bad_crc_is_damaged(good):
    entries = raw_entries(good)
    entries[0].crc = (zlib.crc32(entries[0].plain) + 1) & 0xFFFFFFFF
    assert code_of(raw_zip(entries)) == "file.damaged"


def test_raw_builder_makes_acceptable_packages(good):
    assert inspect(raw_zip(raw_entries(good)), "data.xlsx").kind == "xlsx"


def test_zip_that_is_not_a_workbook_is_not_a_spreadsheet(good):
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("readme.txt", "halo")
    assert code_of(plain.getvalue()) == "file.not_spreadsheet"
    empty = io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    assert empty.getvalue().startswith(b"PK\x05\x06")
    assert code_of(empty.getvalue()) == "file.not_spreadsheet"
    assert code_of(patch_zip(good, {"xl/workbook.xml": None})) == "file.not_spreadsheet"
    assert code_of(patch_zip(good, {"[Content_Types].xml": None})) == "file.not_spreadsheet"


def test_ods_is_named():
    assert refused(ods(), "data.xlsx") == ("file.ods", {})


def test_xlsb_is_named():
    assert refused(xlsb(), "data.xlsb") == ("file.xlsb", {})


# --- zip bombs (UP-02) -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_ratio_bomb() -> bytes:
    """A sheet of 50 MiB of spaces, deflated to about 50 KB."""
    return ratio_bomb(50)


def test_ratio_bomb_expands_too_much_and_stops_early(big_ratio_bomb):
    assert len(big_ratio_bomb) < 200_000
    code, params = refused(big_ratio_bomb)
    assert code == "file.expands_too_much"
    assert params["part"] == SHEET
    assert params["ratio"] >= 200
    # reading stops once 200 x the part's compressed size is passed: ~10 MiB, not 50
    compressed = zipfile.ZipFile(io.BytesIO(big_ratio_bomb)).getinfo(SHEET).compress_size
    assert LARGE_PART < 200 * compressed < params["read"] <= 200 * compressed + CHUNK + 64 * 1024
    assert params["read"] < 12 * MIB


def test_total_size_bomb_over_many_parts_stops_at_the_cap():
    limits = Limits(max_uncompressed=2 * MIB)
    code, params = refused(total_size_bomb(10, 512), limits=limits)
    assert code == "file.expands_too_much"
    assert 2 * MIB < params["read"] <= 2 * MIB + CHUNK


def test_forged_small_size_does_not_stop_the_counter_before_the_cap(monkeypatch):
    decompressed = []
    real_read = zipfile.ZipExtFile.read

    def spy(self, n=-1):
        data = real_read(self, n)
        decompressed.append(len(data))
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", spy)
    cap = 1 * MIB
    code, params = refused(forged_size_bomb(20), limits=Limits(max_uncompressed=cap))
    assert code == "file.expands_too_much"
    assert params["part"] == "xl/worksheets/sheet2.xml"
    assert cap < params["read"] <= cap + CHUNK
    assert sum(decompressed) <= cap + CHUNK  # the library was not asked for more either


def test_forged_small_size_under_the_cap_is_damaged():
    entries = raw_entries(xlsx_bytes())
    text = b"<x>" + b"0123456789" * 30_000 + b"</x>"
    entries.append(Raw(b"xl/worksheets/sheet2.xml", text, size=100))
    code, params = refused(raw_zip(entries))
    assert code == "file.damaged"
    assert "differs from its header" in params["detail"]


def test_forged_small_size_with_a_matching_crc_is_damaged():
    entries = raw_entries(xlsx_bytes())
    text = b"<x>" + b"abcdefghij" * 30_000 + b"</x>"
    entries.append(Raw(b"xl/worksheets/sheet2.xml", text, size=100, crc=zlib.crc32(text[:100])))
    assert code_of(raw_zip(entries)) == "file.damaged"


@pytest.mark.parametrize(("count", "limit"), [(600, 500), (10_000, None)])
def test_many_tiny_entries_are_too_many_parts(count, limit):
    limits = Limits(max_entries=limit) if limit else Limits()
    code, params = refused(many_entries(count), limits=limits)
    assert code == "file.too_many_parts"
    assert params["limit"] == (limit or 500)
    assert params["count"] > params["limit"]


def test_quoted_overlap_entries_are_damaged():
    # the inner entry's directory record points into the outer entry's data
    code, params = refused(quoted_overlap())
    assert code == "file.damaged"
    assert "overlapping" in params["detail"]


def test_bytes_hidden_between_entries_are_damaged(good):
    hidden = b"PK\x03\x04" + bytes(26) + b"secret" * 4
    code, params = refused(raw_zip(raw_entries(good), gap=hidden))
    assert code == "file.damaged"
    assert "hidden" in params["detail"]


def test_duplicate_part_names_are_damaged(good):
    twice = patch_zip(good, {"XL/Workbook.xml": part(good, "xl/workbook.xml")})
    assert code_of(twice) == "file.damaged"


def test_unusual_compression_is_damaged(good):
    buffer = io.BytesIO(good)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/media/x.bin", b"x" * 1000, compress_type=zipfile.ZIP_BZIP2)
    assert code_of(buffer.getvalue()) == "file.damaged"


def test_encrypted_zip_entry_is_encrypted(good):
    entries = raw_entries(good)
    entries[0].flags = 0x01
    assert code_of(raw_zip(entries)) == "file.encrypted"


# --- names and active content (UP-04) --------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../../x", "/etc/x", "xl/../../x.xml", "xl\\worksheets\\x.xml", "C:/x.xml"]
)
def test_escaping_part_names_are_refused(name):
    assert code_of(with_part(name)) == "file.bad_part_name"


def test_nul_in_a_part_name_is_refused(good):
    entries = [*raw_entries(good), Raw(b"xl/media/a\x00.png", b"x")]
    assert code_of(raw_zip(entries)) == "file.bad_part_name"


def test_symlink_entry_is_refused():
    code, params = refused(symlink_entry())
    assert (code, params) == ("file.bad_part_name", {"part": "xl/worksheets/sheet2.xml"})


@pytest.mark.parametrize(
    "name",
    [
        "xl/vbaProject.bin",
        "xl/vbaProjectSignature.bin",
        "xl/activeX/activeX1.xml",
        "xl/activeX/activeX1.bin",
        "xl/embeddings/oleObject1.bin",
        "xl/embeddings/Microsoft_Excel_Worksheet.xlsx",
        "xl/externalLinks/externalLink1.xml",
        "xl/connections.xml",
        "customUI/customUI14.xml",
        "xl/media/archive.zip",
    ],
)
def test_active_or_foreign_parts_are_refused(name):
    assert refused(with_part(name)) == ("file.active_content", {"part": name})


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + bytes(40), OLE + bytes(100)],
    ids=["zip-as-png", "ole-as-png"],
)
def test_nested_package_under_an_innocent_name_is_refused(content):
    data = with_part("xl/media/image1.png", content)
    assert refused(data) == ("file.active_content", {"part": "xl/media/image1.png"})


@pytest.mark.parametrize(
    "content_type",
    [
        "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        "application/vnd.ms-office.vbaProject",
    ],
)
def test_macro_content_type_is_refused(content_type):
    assert refused(macro_content_type(content_type)) == (
        "file.active_content",
        {"part": "[Content_Types].xml"},
    )


def test_macro_content_type_in_utf16_is_refused(good):
    types = (
        part(good, "[Content_Types].xml")
        .decode()
        .replace("spreadsheetml.sheet.main+xml", "ms-excel.sheet.macroEnabled.main+xml")
    )
    data = patch_zip(good, {"[Content_Types].xml": b"\xff\xfe" + types.encode("utf-16-le")})
    assert code_of(data) == "file.active_content"


# --- DTDs and encodings (XML-01, XML-02) -----------------------------------------------------


@pytest.fixture(scope="module")
def with_strings() -> bytes:
    """A good workbook that also has xl/sharedStrings.xml."""
    return with_shared_strings(xlsx_bytes())


def test_workbook_with_shared_strings_is_accepted(with_strings):
    assert inspect(with_strings, "data.xlsx").kind == "xlsx"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16le-bom"])
@pytest.mark.parametrize("dtd", list(DTDS), ids=list(DTDS))
@pytest.mark.parametrize("name", XML_PARTS)
def test_dtd_in_any_part_and_encoding_is_refused(with_strings, name, dtd, encoding):
    hostile = inject(part(with_strings, name), DTDS[dtd], encoding)
    assert refused(patch_zip(with_strings, {name: hostile})) == ("file.xml_dtd", {"part": name})


@pytest.mark.parametrize(
    "text",
    [
        '<!doctype x [<!entity a "b">]><worksheet/>',  # lower case, for lenient parsers
        '<!ENTITY a "b"><worksheet/>',  # an entity without a DOCTYPE
    ],
)
def test_dtd_spellings_are_refused(good, text):
    assert code_of(patch_zip(good, {SHEET: text.encode()})) == "file.xml_dtd"


def test_utf16_big_endian_without_bom_is_scanned(good):
    text = '<?xml version="1.0" encoding="UTF-16BE"?><!DOCTYPE x><worksheet/>'
    assert code_of(patch_zip(good, {SHEET: text.encode("utf-16-be")})) == "file.xml_dtd"


@pytest.mark.parametrize("encoding", ["UTF-7", "ISO-8859-1", "windows-1252", "EBCDIC-CP-US"])
def test_other_declared_encodings_are_refused_as_an_encoding_not_a_dtd(encoding):
    # The UTF-7 body hides a DTD; the refusal names the encoding, which is what is wrong
    # with the file as its sender can see it.
    code, params = refused(declared_encoding(encoding))
    assert (code, params) == ("file.xml_encoding", {"part": SHEET, "encoding": encoding})


def test_a_declared_encoding_is_shown_printable_only():
    code, params = refused(declared_encoding("x\x07\x1b[2Jy"))
    assert (code, params) == ("file.xml_encoding", {"part": SHEET, "encoding": "x??[2Jy"})


@pytest.mark.parametrize(("codec", "named"), [("utf-32", "UTF-32"), ("cp500", "EBCDIC")])
def test_encodings_the_scan_cannot_read_are_refused(good, codec, named):
    text = '<?xml version="1.0"?><worksheet/>'
    assert refused(patch_zip(good, {SHEET: text.encode(codec)})) == (
        "file.xml_encoding",
        {"part": SHEET, "encoding": named},
    )


def test_a_dtd_in_a_supported_encoding_is_still_a_dtd(good):
    text = '<?xml version="1.0" encoding="utf-8"?><!DOCTYPE x><worksheet/>'
    assert refused(patch_zip(good, {SHEET: text.encode()})) == ("file.xml_dtd", {"part": SHEET})


@pytest.mark.parametrize(
    ("encoding", "split"),
    [("utf-8", 1), ("utf-8", 4), ("utf-8", 8), ("utf-16-le", 2), ("utf-16-le", 10)],
)
def test_doctype_split_across_a_chunk_boundary_is_refused(good, encoding, split):
    width = 2 if encoding == "utf-16-le" else 1
    marker = "<!DOCTYPE x>".encode(encoding)
    declaration = '<?xml version="1.0"?>'.encode(encoding)
    padding = b" \x00" if width == 2 else b" "
    count = (CHUNK - split - len(declaration)) // width
    text = declaration + padding * count + marker + "<worksheet/>".encode(encoding)
    assert text.index(marker) == CHUNK - split  # the marker starts `split` bytes before the end
    assert code_of(patch_zip(good, {SHEET: text})) == "file.xml_dtd"


def test_dtd_in_a_part_not_named_xml_is_refused(good):
    data = patch_zip(good, {"xl/worksheets/sheet2.dat": b"<!DOCTYPE x><worksheet/>"})
    assert code_of(data) == "file.xml_dtd"


# --- sheets and lying counts (SZ-02) -------------------------------------------------------


def _add_sheets(count: int) -> Callable[[openpyxl.Workbook], None]:
    def mutate(workbook):
        for number in range(count):
            workbook.create_sheet(f"S{number}")

    return mutate


def test_fifty_one_sheets_are_too_many():
    assert refused(xlsx_bytes(_add_sheets(50))) == (
        "file.too_many_sheets",
        {"limit": 50, "count": 51},
    )


def test_sheets_are_counted_in_utf16_and_with_a_prefix():
    data = xlsx_bytes(_add_sheets(50))
    workbook = part(data, "xl/workbook.xml").decode()
    assert code_of(
        patch_zip(data, {"xl/workbook.xml": b"\xff\xfe" + workbook.encode("utf-16-le")})
    ) == ("file.too_many_sheets")
    prefixed = re.sub(r"<(/?)(\w+)", r"<\1x:\2", workbook).replace('xmlns="', 'xmlns:x="')
    assert code_of(patch_zip(data, {"xl/workbook.xml": prefixed.encode()})) == (
        "file.too_many_sheets"
    )


def test_sheet_limit_is_configurable(good):
    assert refused(good, limits=Limits(max_sheets=0)) == (
        "file.too_many_sheets",
        {"limit": 0, "count": 1},
    )


def _strings(items: int, declared: int, padding: int = 0) -> bytes:
    head = '<?xml version="1.0" encoding="UTF-8"?>' + " " * padding
    return (
        head
        + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        + f'uniqueCount="{declared}">'
        + "".join(f"<si><t>{number}</t></si>" for number in range(items))
        + "</sst>"
    ).encode()


def test_lying_unique_count_is_damaged(with_strings):
    data = patch_zip(with_strings, {"xl/sharedStrings.xml": _strings(3, 4294967295)})
    code, params = refused(data)
    assert code == "file.damaged"
    assert "4294967295" in params["detail"]


def test_lying_unique_count_split_across_chunks_is_damaged(with_strings):
    sst = _strings(3, 4294967295, padding=CHUNK - 60)
    assert sst.index(b"<sst") < CHUNK < sst.index(b"4294967295")
    data = patch_zip(with_strings, {"xl/sharedStrings.xml": sst})
    assert code_of(data) == "file.damaged"


@pytest.mark.parametrize(
    ("padding", "split_before"),
    [
        ("", "st xmlns"),  # "<s|st": the tag name split
        ("", "ueCount"),  # "uniq|ueCount"
        ("", '94967295"'),  # the number split
        ("x" * 40_000, "dding="),  # "<sst" a chunk before uniqueCount
        ("é" * 60_000, "é" * 10),  # a tag of two-byte characters over three chunks
    ],
    ids=["tag-name", "attribute", "number", "long-tag", "long-tag-utf8"],
)
@pytest.mark.parametrize("name", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml"])
def test_a_lying_string_table_after_chunks_of_other_text_is_damaged(
    with_strings, name, padding, split_before
):
    # The text checks skip chunks without "uniqueCount" in their bytes; a lying table
    # that starts chunks into a part, however the chunk boundaries fall, is still read.
    tag = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        + (f' padding="{padding}"' if padding else "")
        + ' uniqueCount="4294967295">'
    ).encode()
    split_at = tag.rindex(split_before.encode())  # a chunk boundary falls here
    head = b'<?xml version="1.0" encoding="UTF-8"?><!-- '
    boundary = 4 * CHUNK if split_at > 2 * CHUNK else 3 * CHUNK
    filler = head + b"x" * (boundary - split_at - len(head) - 4) + b" -->"
    sst = filler + tag + b"<si><t>0</t></si></sst>"
    assert len(filler) + split_at == boundary
    code, params = refused(patch_zip(with_strings, {name: sst}))
    assert code == "file.damaged"
    assert "4294967295" in params["detail"]


def test_true_large_unique_count_is_accepted_and_counted_across_chunks(with_strings):
    honest = patch_zip(with_strings, {"xl/sharedStrings.xml": _strings(150_000, 150_000)})
    assert inspect(honest, "data.xlsx").kind == "xlsx"
    lying = patch_zip(with_strings, {"xl/sharedStrings.xml": _strings(150_000, 150_001)})
    assert code_of(lying) == "file.damaged"


# --- hidden rows and columns, noted in passing (SS-06) -----------------------------------


def test_hidden_rows_and_columns_of_each_sheet_are_noted_by_part():
    def hide(workbook: openpyxl.Workbook) -> None:
        sheet = workbook.active
        for number in range(3, 12):
            sheet.append(["35.78.07.1002", "001", f"{number:03d}", number])
        for number in (5, 6, 7, 9):
            sheet.row_dimensions[number].hidden = True
        sheet.column_dimensions["C"].hidden = True
        sheet.column_dimensions.group("E", "G", hidden=True)
        other = workbook.create_sheet("Lain")
        other.append(["a"])
        other.append(["b"])
        other.row_dimensions[2].hidden = True

    found = inspect(xlsx_bytes(hide), "data.xlsx").hidden
    assert found == {
        SHEET: containers.Hidden(rows=((5, 7), (9, 9)), columns=((3, 3), (5, 7))),
        "xl/worksheets/sheet2.xml": containers.Hidden(rows=((2, 2),)),
    }


def test_a_sheet_that_hides_nothing_notes_nothing(good):
    assert inspect(good, "data.xlsx").hidden == {}


_HIDING_SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<cols><col min="2" max="2" width="9" hidden="1" customWidth="1"/>'
    b'<col min="4" max="4" hidden="0"/><x:col min="12" max="16384" hidden="true"/></cols>'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>hidden="1"</t></is></c></row>'
    b'<row r="2" spans="1:4" hidden="1" ht="0" customHeight="1"><c r="A2"><v>1</v></c></row>'
    b'<row r="3" hidden="0"><c r="A3"><v>2</v></c></row>'
    b'<row r="4" hidden="1"/><row r="5" hidden="1"/><row r="8" s="3" hidden="1"></row>'
    b"</sheetData></worksheet>"
)


@pytest.mark.parametrize("cut", range(1, len(_HIDING_SHEET), 7))
def test_hidden_rows_are_found_whatever_the_chunk_boundaries(cut):
    # Two cuts, so a tag (or the word "hidden") is split by one chunk end or another.
    scan = containers._HiddenScan()
    for piece in (_HIDING_SHEET[:cut], _HIDING_SHEET[cut : cut + 40], _HIDING_SHEET[cut + 40 :]):
        scan.feed(piece)
    assert scan.rows == [[2, 2], [4, 5], [8, 8]]
    assert scan.columns == [(2, 2), (12, 16384)]


# --- the first cell past the column limit (SZ-01) ---------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _far_sheet(cells: str, dimension: str | None = "A1:XFD3", padding: int = 0) -> bytes:
    """A sheet part: an optional used range, a header row with ``padding`` characters of
    text, then ``cells`` (the XML of the cells of rows 2 and 3)."""
    used = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<worksheet xmlns="{_MAIN}"><sheetPr/>{used}<sheetViews><sheetView workbookViewId="0">'
        '<selection activeCell="XFD1" sqref="XFD1"/></sheetView></sheetViews><sheetData>'
        f'<row r="1"><c r="A1" t="inlineStr"><is><t>{"r" * padding}</t></is></c></row>'
        f"{cells}</sheetData></worksheet>"
    ).encode()


def _outside(sheet: bytes, **limits) -> dict[str, str]:
    return inspect(patch_zip(xlsx_bytes(), {SHEET: sheet}), "data.xlsx", Limits(**limits)).outside


@pytest.mark.parametrize(
    ("cells", "found"),
    [
        # Formatting only, or nothing at all, is no data: the reader skips these cells.
        ('<row r="2"><c r="XFD2" s="3"/><c r="GS2"></c></row>', {}),
        ('<row r="2"><c r="GR2"><v>1</v></c></row>', {}),  # column 200 itself
        ('<row r="2"><c r="GS2"><v>1</v></c></row>', {SHEET: "GS2"}),
        ('<row r="2"><c r="AAA2" t="inlineStr"><is><t></t></is></c></row>', {SHEET: "AAA2"}),
        ('<row r="3"><x:c r="ZZ3" t="s"><x:v>0</x:v></x:c></row>', {SHEET: "ZZ3"}),
        ('<row r="2"><c s="1" r="XFD2"><f>1+1</f></c></row>', {SHEET: "XFD2"}),
        # The first in document order, text that looks like a reference is no cell.
        (
            '<row r="2"><c r="B2" t="inlineStr"><is><t>r="XFD9"&gt;</t></is></c>'
            '<c r="JA2"><v>1</v></c></row><row r="3"><c r="GS3"><v>2</v></c></row>',
            {SHEET: "JA2"},
        ),
    ],
)
def test_the_first_cell_past_the_column_limit_that_holds_something_is_noted(cells, found):
    assert _outside(_far_sheet(cells)) == found
    assert _outside(_far_sheet(cells, dimension=None)) == found  # no used range: searched


def test_a_used_range_within_the_limit_settles_the_sheet_without_searching_it():
    cells = '<row r="2"><c r="XFD2"><v>1</v></c></row>'
    assert _outside(_far_sheet(cells, dimension="A1:GR3")) == {}  # a lying range: trusted
    assert _outside(_far_sheet(cells, dimension="A1:GS3")) == {SHEET: "XFD2"}
    assert _outside(_far_sheet(cells, dimension="$A$1:$D$3"), max_columns=3) == {SHEET: "XFD2"}
    assert _outside(_far_sheet(cells, dimension="A1:D3"), max_columns=4) == {}


@pytest.mark.parametrize("holds", [True, False])
def test_a_far_cell_cut_by_a_chunk_end_is_still_judged(holds):
    # A start tag with long attributes on both sides of r="XFD2", cut anywhere.
    tag = f'<c s="1" x="{"y" * 400}" r="XFD2" t="n" z="{"y" * 400}">'
    cells = f'<row r="2">{tag}{"<v>7</v></c>" if holds else "</c>"}</row>'
    sheet = _far_sheet(cells, dimension=None, padding=CHUNK)
    start = sheet.index(tag.encode())
    for cut in range(start - 3, start + len(tag) + 12, 3):
        scan = containers._ExtentScan(256)
        scan.feed(sheet[:cut])
        scan.feed(sheet[cut:])
        assert scan.found == ("XFD2" if holds else None), cut
    assert _outside(sheet) == ({SHEET: "XFD2"} if holds else {})


@pytest.mark.parametrize(
    ("limit", "past", "within"),
    [
        (256, ["IW", "IZ", "JA", "ZZ", "AAA", "XFD"], ["A", "Z", "AA", "HZ", "IV"]),
        (26, ["AA", "ZZ", "AAA"], ["A", "Z"]),
        (27, ["AB", "BA", "AAA"], ["A", "Z", "AA"]),
        (702, ["AAA", "XFD"], ["ZZ", "A"]),
        (16_384, ["XFE", "XGA", "YAA"], ["XFD", "ZZ"]),
    ],
)
def test_the_pattern_of_columns_past_the_limit(limit, past, within):
    pattern = re.compile(containers._columns_past(limit) + rb"[0-9]")
    assert [c for c in past + within if pattern.fullmatch(c.encode() + b"1")] == past


# --- the module itself and the startup check (XML-03) ----------------------------------------


def test_module_uses_no_spreadsheet_library_or_web_layer():
    tree = ast.parse(Path(containers.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    # zlib-ng: the same inflate as zlib, three times faster (a city file's sheet is big).
    assert imported - {"transparency", "zlib_ng"} <= sys.stdlib_module_names
    assert not imported & {"openpyxl", "pandas", "python_calamine", "flask", "sqlmodel"}


def test_assert_defused_passes_normally(monkeypatch):
    monkeypatch.delenv("OPENPYXL_DEFUSEDXML", raising=False)
    assert_defused()
    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", "True")
    assert_defused()


@pytest.mark.parametrize("value", ["False", "0", "false", "", "no"])
def test_assert_defused_refuses_a_switched_off_defusedxml(monkeypatch, value):
    monkeypatch.setenv("OPENPYXL_DEFUSEDXML", value)
    with pytest.raises(RuntimeError, match="OPENPYXL_DEFUSEDXML"):
        assert_defused()


def test_assert_defused_refuses_a_missing_defusedxml(monkeypatch):
    monkeypatch.delenv("OPENPYXL_DEFUSEDXML", raising=False)
    monkeypatch.setitem(sys.modules, "defusedxml", None)
    with pytest.raises(RuntimeError, match="defusedxml"):
        assert_defused()


def test_openpyxl_in_this_process_parses_with_defusedxml():
    import defusedxml.ElementTree
    import openpyxl.xml.functions

    assert openpyxl.xml.functions.iterparse is defusedxml.ElementTree.iterparse


# --- file names as metadata (UP-05) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("../../app/config.py", "config.py"),
        ("C:\\Users\\dinas\\data.xlsx", "data.xlsx"),
        ("x.xlsx\x00.html", "x.xlsx_.html"),
        ("a\r\nb.xlsx", "a__b.xlsx"),
        ("laporan\u202eslx.exe", "laporan_slx.exe"),
        ("zero\u200bwidth.xlsx", "zero_width.xlsx"),
        ("..", "file"),
        ("", "file"),
        ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
        ("y" * 300, "y" * 120),
    ],
)
def test_clean_filename_keeps_a_harmless_last_segment(sent, kept):
    assert containers.clean_filename(sent) == kept
