"""The downloadable template of an indicator set: a workbook a department can fill in.

Pure: an indicator set and the kelurahan list in, xlsx bytes out. Sheets: instructions in
Bahasa Indonesia, the data sheet with its header row, the valid kelurahan codes and names,
and a hidden sheet naming the template and its version (never read as data).
"""

import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from transparency.exporting import safe_cell
from transparency.indicator_sets import IndicatorSet

TEMPLATE_VERSION = "1"
HOUSEHOLD_HEADER = ["NO KK", "KODE KELURAHAN", "RW", "RT", "JUMLAH ANGGOTA KELUARGA", "KATEGORI"]
RT_HEADER = ["KODE KELURAHAN", "RW", "RT"]
PERSON_HEADER = ["NOMOR KK", "KODE KELURAHAN", "RW", "RT", "STATUS", "TANGGAL LAHIR"]
TEXT = "@"  # Excel's text format: a 16-digit No. KK keeps every digit
DATA_ROWS = 100_000  # how far down the KATEGORI list is offered


def header_for(iset: IndicatorSet) -> list[str]:
    """The data sheet's header row: the first alias of each column the set reads."""
    if iset.shape == "household":
        return list(HOUSEHOLD_HEADER)
    if iset.shape == "person":
        return list(PERSON_HEADER)
    return RT_HEADER + [rule.column[0] for rule in iset.rules if rule.column]


def build_template(iset: IndicatorSet, kelurahan: list[tuple[str, str, str]]) -> bytes:
    """The template workbook; ``kelurahan`` holds (code, name, kecamatan name) rows."""
    workbook = Workbook()
    guide = workbook.active
    guide.title = "Petunjuk"
    for line in _instructions(iset):
        guide.append([line])
    guide.column_dimensions["A"].width = 100
    data = workbook.create_sheet("Data")
    data.append(header_for(iset))
    for cell in data[1]:
        cell.font = Font(bold=True)
    for column in "ABCDEFGHIJ":
        data.column_dimensions[column].width = 22
    if iset.shape == "household":
        _household_columns(data, iset)
    codes = workbook.create_sheet("Kode Kelurahan")
    codes.append(["KODE KELURAHAN", "KELURAHAN", "KECAMATAN"])
    for row in kelurahan:
        codes.append([safe_cell(value) for value in row])
    meta = workbook.create_sheet("_template")
    meta.append(["indicator_set", iset.code])
    meta.append(["version", TEMPLATE_VERSION])
    meta.sheet_state = "hidden"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _household_columns(data, iset: IndicatorSet) -> None:
    """NO KK formatted as text (as typed, never 3,57808E+15); KATEGORI a drop-down list."""
    data.column_dimensions["A"].number_format = TEXT
    data["A1"].number_format = "General"
    column = "ABCDEFGHIJ"[HOUSEHOLD_HEADER.index("KATEGORI")]
    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(iset.categories) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="KATEGORI",
        error="Pilih salah satu kategori dari daftar: " + ", ".join(iset.categories) + ".",
        promptTitle="KATEGORI",
        prompt="Pilih dari daftar.",
    )
    choices.add(f"{column}2:{column}{DATA_ROWS + 1}")
    data.add_data_validation(choices)


def _instructions(iset: IndicatorSet) -> list[str]:
    """The instructions sheet, in Bahasa Indonesia."""
    lines = [
        f"Templat unggah: {iset.name_id}",
        "",
        "1. Isi lembar 'Data' mulai baris 2. Jangan ubah judul kolom di baris 1.",
        "2. KODE KELURAHAN: lihat lembar 'Kode Kelurahan' (boleh 35.78.07.1002 atau 3578071002).",
        "3. RW dan RT: angka, misalnya 1, 01 atau 001.",
    ]
    if iset.shape == "household":
        categories = ", ".join(iset.categories)
        lines += [
            "4. Satu baris untuk satu keluarga (KK). Kolom NO KK sudah berformat teks: "
            "16 angkanya tersimpan utuh.",
            f"5. KATEGORI: pilih dari daftar di selnya ({categories}).",
            "6. Platform menghitung jumlah KK dan anggota keluarga per RT; NO KK tidak disimpan.",
        ]
    elif iset.shape == "person":
        lines += [
            "4. Satu baris untuk satu penduduk. Ketik NOMOR KK sebagai teks, bukan angka.",
            "5. STATUS: Hidup, Mati, Pindah, Pergi, Hilang atau Tidak Valid; hanya yang "
            "berstatus Hidup yang dihitung.",
            "6. TANGGAL LAHIR: sel tanggal, atau teks seperti 31-12-1960 atau 31/12/1960. "
            "Umur dihitung pada hari terakhir periode.",
            "7. Platform menghitung jumlah KK, jumlah jiwa dan lansia (60 tahun ke atas) per "
            "RT; NIK, nama, NOMOR KK dan tanggal lahir tidak disimpan.",
        ]
    else:
        lines += [
            "4. Satu baris untuk satu RT. Isi jumlah (bilangan bulat 0 atau lebih); '-' dibaca 0.",
        ]
    lines += [
        "",
        "Baris JUMLAH/TOTAL boleh ada di bawah; platform memeriksanya dengan "
        "jumlah baris di atasnya.",
    ]
    return lines
