import pytest

from rollup.ingest.cells import read_cell


@pytest.mark.parametrize(
    "raw, kind, value",
    [
        ("12", "count", 12),
        ("１２", "count", 12),
        ("12件", "count", 12),
        ("12条", "count", 12),
        ("1,234", "count", 1234),
        (" 7 ", "count", 7),
        (3.0, "count", 3),
        (7, "count", 7),
        ("增 338", "signed", 338),
        ("减 313", "signed", -313),
        ("-2", "signed", -2),
        ("258590万元", "money", 258590),
        ("380000元", "money", 38),
        ("9282.3866万元", "money", 9282.3866),
    ],
)
def test_numbers_as_people_write_them(raw, kind, value):
    reading = read_cell(raw, kind)
    assert reading.status == "number"
    assert reading.value == value and type(reading.value) is type(value)


def test_a_number_with_a_note_keeps_both():
    reading = read_cell("1（市自然资源和规划局））")
    assert (reading.value, reading.note) == (1, "市自然资源和规划局")
    assert read_cell("1（撤回）").note == "撤回"


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000"])
def test_blank_reads_as_zero_but_says_blank(raw):
    reading = read_cell(raw)
    assert (reading.status, reading.value) == ("blank", 0)


@pytest.mark.parametrize("raw", ["-", "—", "/", "无"])
def test_not_applicable_reads_as_zero_with_a_note(raw):
    reading = read_cell(raw)
    assert (reading.status, reading.value, reading.note) == ("not_applicable", 0, raw)


@pytest.mark.parametrize("raw", ["abc", "十二", "12 13", True])
def test_text_that_is_no_number_is_invalid_not_zero(raw):
    reading = read_cell(raw)
    assert reading.status == "invalid" and reading.value is None
