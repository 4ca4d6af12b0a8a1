"""The upload template: NO KK typed as text keeps its 16 digits, KATEGORI is a drop-down."""

import io

from openpyxl import load_workbook

from tests.conftest import SEED
from transparency.indicator_sets import load_indicator_sets
from transparency.workbook_templates import DATA_ROWS, build_template

KELURAHAN = [("35.78.03.1005", "Wonorejo", "Rungkut")]


def _data_sheet(code: str):
    iset = load_indicator_sets(SEED / "indicator_sets.json")[code]
    book = load_workbook(io.BytesIO(build_template(iset, KELURAHAN)))
    return book, book["Data"]


def test_household_template_has_no_kk_as_text_and_kategori_as_a_list():
    book, data = _data_sheet("dinsos_gamis_pramis")
    assert [c.value for c in data[1]] == [
        "NO KK",
        "KODE KELURAHAN",
        "RW",
        "RT",
        "JUMLAH ANGGOTA KELUARGA",
        "KATEGORI",
    ]
    assert data.column_dimensions["A"].number_format == "@"
    assert data.column_dimensions["B"].number_format == "General"
    [choices] = data.data_validations.dataValidation
    assert (choices.type, choices.formula1) == ("list", '"GAMIS,PRAMIS"')
    assert str(choices.sqref) == f"F2:F{DATA_ROWS + 1}"
    assert choices.showErrorMessage
    assert choices.error == "Pilih salah satu kategori dari daftar: GAMIS, PRAMIS."
    guide = [row[0] for row in book["Petunjuk"].iter_rows(values_only=True)]
    assert "5. KATEGORI: pilih dari daftar di selnya (GAMIS, PRAMIS)." in guide


def test_rt_template_has_no_list_and_no_text_column():
    _, data = _data_sheet("dinkes_stunting")
    assert data.data_validations.dataValidation == []
    assert data.column_dimensions["A"].number_format == "General"
