"""The bad-input corpus: every kind of damaged, mis-saved, protected, oversized, crafted or merely
strange file an office receives, generated from the sample city's real templates. Each case says
which finding it must give (``None``: a readable file whose text is hostile, which must be read
and shown as written, never run as a formula or console markup).

``build_corpus`` writes every case into a folder once per test session."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msoffcrypto
import openpyxl
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from rollup import codesheet

HOSTILE_FORMULA = '=HYPERLINK("http://example.com","点我")'
HOSTILE_MARKUP = "[/dim][bold red]假消息[/bold red]"
BIG5_REPORT = Path(__file__).resolve().parents[2] / "shared" / "reports" / "yueqing-2019-city.txt"


@dataclass(frozen=True)
class Case:
    name: str  # the file name in the inbox
    expected: str | None  # the finding code it must give (None: read, with its hostile text shown as written)
    build: Callable[[Path, Path], object]  # (target path, a filled template of ``unit``)
    unit: str = "乐清市审计局"  # whose sample template it starts from (and replaces in the combined inbox)
    inbox: bool = True  # part of the combined consolidate (not: a case that needs its own conditions)


# --- building blocks ------------------------------------------------------------------------------


def rezip(source: Path, target: Path, edit: dict[str, Callable[[bytes], bytes]] | None = None, add=None) -> None:
    """A copy of an Office package with members edited or added, written as Excel would (deflated)."""
    edit, add = edit or {}, add or {}
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            new.writestr(item.filename, edit.get(item.filename, lambda d: d)(data))
        for name, data in add.items():
            new.writestr(name, data)


def sheet_member(template: Path, sheet: str) -> str:
    """The package member of a worksheet, by its name (openpyxl writes them in order)."""
    names = openpyxl.load_workbook(template, read_only=True).sheetnames
    return f"xl/worksheets/sheet{names.index(sheet) + 1}.xml"


def with_cells(values: dict[tuple[str, str], Any]) -> Callable[[Path, Path], None]:
    """A filled template with cells (sheet, address) typed over, as a person would."""

    def build(target: Path, template: Path) -> None:
        wb = openpyxl.load_workbook(template)
        for (sheet, cell), value in values.items():
            wb[sheet][cell] = value
        wb.save(target)

    return build


def with_codes(values: dict[str, Any]) -> Callable[[Path, Path], None]:
    """A filled template with the cells of these codes (or cover fields) typed over."""

    def build(target: Path, template: Path) -> None:
        wb = openpyxl.load_workbook(template)
        rows = [list(r) for r in wb[codesheet.SHEET].iter_rows(values_only=True)]
        found = codesheet.parse(rows)
        assert found is not None
        for key, value in values.items():
            sheet, cell = found.locations[key]
            wb[sheet][cell] = value
            if key in TEXT_FIELDS:  # typed as text, as a person's "=…" in a text cell stays
                wb[sheet][cell].data_type = "s"
        wb.save(target)

    return build


def with_note(code: str, note: str) -> Callable[[Path, Path], None]:
    """A filled template with a note beside one figure, as units write "1（撤回）"."""

    def build(target: Path, template: Path) -> None:
        wb = openpyxl.load_workbook(template)
        rows = [list(r) for r in wb[codesheet.SHEET].iter_rows(values_only=True)]
        found = codesheet.parse(rows)
        assert found is not None
        sheet, cell = found.locations[code]
        wb[sheet][cell] = f"{wb[sheet][cell].value}（{note}）"
        wb.save(target)

    return build


def with_code_sheet(change: Callable[[list[list]], None]) -> Callable[[Path, Path], None]:
    """A filled template whose hidden code sheet rows were changed by ``change``."""

    def build(target: Path, template: Path) -> None:
        wb = openpyxl.load_workbook(template)
        sheet = wb[codesheet.SHEET]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        change(rows)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                sheet.cell(r, c, value)
        wb.save(target)

    return build


def _point(code: str, sheet: str, cell: str) -> Callable[[list[list]], None]:
    def change(rows: list[list]) -> None:
        row = next(r for r in rows if r[0] == code)
        row[1], row[2] = sheet, cell

    return change


def _same_cell(code: str, other: str) -> Callable[[list[list]], None]:
    def change(rows: list[list]) -> None:
        row = next(r for r in rows if r[0] == code)
        target = next(r for r in rows if r[0] == other)
        row[1], row[2] = target[1], target[2]

    return change


def _swap(first: str, second: str) -> Callable[[list[list]], None]:
    def change(rows: list[list]) -> None:
        a = next(r for r in rows if r[0] == first)
        b = next(r for r in rows if r[0] == second)
        a[2], b[2] = b[2], a[2]

    return change


def with_sheet_xml(sheet: str, change: Callable[[bytes], bytes]) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        rezip(template, target, {sheet_member(template, sheet): change})

    return build


def _far_cell(reference: str) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        row = "".join(ch for ch in reference if ch.isdigit())
        cell = f'<row r="{row}"><c r="{reference}" t="n"><v>1</v></c></row></sheetData>'.encode()
        return xml.replace(b"</sheetData>", cell, 1)

    return change


def _dimension(reference: str) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        return xml.replace(b"<sheetPr", f'<dimension ref="A1:{reference}"/><sheetPr'.encode(), 1)

    return change


XXE = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">'.encode() for i in range(1, 10))
    + b"]>\n"
)


def _prolog(dtd: bytes) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
        return dtd + body.replace(b"<sheetData>", b"<sheetData>&lol9;" if b"lol" in dtd else b"<sheetData>", 1)

    return change


def _utf16_dtd(xml: bytes) -> bytes:
    body = xml.split(b"?>", 1)[1] if xml.startswith(b"<?xml") else xml
    text = '<?xml version="1.0" encoding="UTF-16"?>\n' + XXE.decode().split("\n", 1)[1] + body.decode()
    return text.encode("utf-16")


def encrypted(target: Path, template: Path) -> None:
    office = msoffcrypto.OfficeFile(open(template, "rb"))  # noqa: SIM115
    out = io.BytesIO()
    office.encrypt("123456", out)
    target.write_bytes(out.getvalue())


def _bytes(data: bytes) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        target.write_bytes(data)

    return build


def _truncated(size: int) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        target.write_bytes(template.read_bytes()[:size])

    return build


def _bomb(member: str, size: int, members: int = 1) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for number in range(members):
                z.writestr(member.format(number), b" " * size)

    return build


def _pdf(pages: int = 1, password: str | None = None) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        encrypt = StandardEncryption(password, canPrint=0) if password else None
        pdf = canvas.Canvas(str(target), pagesize=A4, encrypt=encrypt)
        for page in range(pages):
            pdf.drawString(72, 720, f"page {page + 1}")
            pdf.showPage()
        pdf.save()

    return build


def _docx(
    document_xml: Callable[[bytes], bytes] | None = None, *, encrypt: bool = False
) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        import docx

        plain = target.with_suffix(".plain.docx")
        document = docx.Document()
        document.add_paragraph("乐清市审计局2019年政府信息公开工作年度报告")
        document.save(str(plain))
        if document_xml is not None:
            rezip(plain, target, {"word/document.xml": document_xml})
        elif encrypt:
            encrypted(target, plain)
        plain.unlink()

    return build


def _docx_prolog(dtd: bytes) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        body = xml.split(b"?>", 1)[1]
        return dtd + body.replace(b"<w:body>", b"<w:body>&lol9;" if b"lol" in dtd else b"<w:body>&e;", 1)

    return change


def _zip(members: dict[str, Callable[[Path], bytes]], *, encrypt: bool = False) -> Callable[[Path, Path], None]:
    """A .zip as units attach several reports to one email; member data from the template."""

    def build(target: Path, template: Path) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in members.items():
                z.writestr(name, data(template))
        if encrypt:  # set the "encrypted" flag as a password-protected zip does (zipfile cannot write one)
            raw = bytearray(target.read_bytes())
            for marker in (b"PK\x03\x04", b"PK\x01\x02"):
                start = 0
                while (found := raw.find(marker, start)) >= 0:
                    flag = found + (6 if marker == b"PK\x03\x04" else 8)
                    raw[flag] |= 1
                    start = found + 4
            target.write_bytes(bytes(raw))

    return build


def _far_template(template: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(template) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = _far_cell("XFD1048576")(data)
            new.writestr(item.filename, data)
    return out.getvalue()


def _big5(target: Path, template: Path) -> None:
    import opencc

    text = opencc.OpenCC("s2t").convert(BIG5_REPORT.read_text(encoding="utf-8"))
    target.write_bytes(text.encode("big5", "replace"))


def _sparse(size: int) -> Callable[[Path, Path], None]:
    def build(target: Path, template: Path) -> None:
        with open(target, "wb") as handle:
            handle.truncate(size)

    return build


def _ods_repeats(target: Path, template: Path) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content'
        ' xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body>'
        '<office:spreadsheet><table:table table:name="S"><table:table-row table:number-rows-repeated="1048576">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" office:value="1">'
        "<text:p>1</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet>"
        "</office:body></office:document-content>"
    )
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content)


# --- the cases ------------------------------------------------------------------------------------

A_COUNT = "B.1.natural"
TEXT_FIELDS = ("unit", "contact", "phone", "explanation")
MONEY = "A.procurement.amount_wan"

CASES: list[Case] = [
    # sizes and shapes that make a reader allocate without end
    Case("XFD列.xlsx", "file_too_large", with_sheet_xml("依申请公开", _far_cell("XFD1"))),
    Case("百万行.xlsx", "file_too_large", with_sheet_xml("依申请公开", _far_cell("A1048576"))),
    Case("XFD百万行.xlsx", "file_too_large", with_sheet_xml("封面", _far_cell("XFD1048576"))),
    Case("声明的尺寸.xlsx", "file_too_large", with_sheet_xml("主动公开", _dimension("XFD1048576"))),
    Case("隐藏表超大.xlsx", "file_too_large", with_sheet_xml(codesheet.SHEET, _far_cell("ZZ999999"))),
    Case("压缩炸弹.xlsx", "file_too_large", _bomb("xl/worksheets/sheet{}.xml", 300 * 2**20)),
    Case("压缩比炸弹.xlsx", "file_too_large", _bomb("xl/worksheets/sheet{}.xml", 60 * 2**20)),
    Case("成员过多.xlsx", "file_too_large", _bomb("xl/media/image{}.png", 1, members=6000)),
    Case("超大表格.ods", "file_too_large", _ods_repeats),
    Case("2GB稀疏.txt", "file_too_large", _sparse(2 * 2**30)),
    Case("超大文本.txt", "file_too_large", _bytes("政府信息公开\n".encode() * 600_000)),
    Case("超大网页.html", "file_too_large", _bytes(b"<html><body>" + b"<p>x</p>" * 1_200_000 + b"</body></html>")),
    Case("页数过多.pdf", "file_too_large", _pdf(pages=320)),
    Case("Word压缩炸弹.docx", "file_too_large", _bomb("word/document{}.xml", 300 * 2**20)),
    # XML entities: external (XXE) and expanding (billion laughs)
    Case("XXE工作表.xlsx", "unsafe_content", with_sheet_xml("依申请公开", _prolog(XXE))),
    Case("实体炸弹工作表.xlsx", "unsafe_content", with_sheet_xml("依申请公开", _prolog(LAUGHS))),
    Case("UTF16的XXE.xlsx", "unsafe_content", with_sheet_xml("封面", _utf16_dtd)),
    Case("XXE.docx", "unsafe_content", _docx(_docx_prolog(XXE))),
    Case("实体炸弹.docx", "unsafe_content", _docx(_docx_prolog(LAUGHS))),
    # protected, empty, damaged, not what the name says
    Case("加密.xlsx", "encrypted_file", encrypted),
    Case("加密.docx", "encrypted_file", _docx(encrypt=True)),
    Case("加密.pdf", "encrypted_file", _pdf(password="123456")),
    Case("空文件.xlsx", "empty_file", _bytes(b"")),
    Case("空文件.txt", "empty_file", _bytes(b"")),
    Case("只有空白.txt", "empty_file", _bytes(b" \r\n\t\r\n")),
    Case("全是零.xlsx", "empty_file", _bytes(b"\x00" * 4096)),
    Case("截断.xlsx", "unreadable_file", _truncated(3000)),
    Case("截断.pdf", "unreadable_file", lambda t, _: t.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog")),
    Case("截断.docx", "unreadable_file", _bytes(b"PK\x03\x04" + b"\x00" * 200)),
    Case("截断.xls", "unreadable_file", _bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)),
    Case("网页改名.xls", "wrong_format", _bytes(b"<html><body><table><tr><td>1</td></tr></table></body></html>")),
    Case("CSV改名.xlsx", "wrong_format", _bytes("单位,本年新收\n乐清市审计局,3\n".encode())),
    Case("PDF改名.xlsx", "wrong_format", _pdf()),
    Case("PDF改名.txt", "wrong_format", _pdf()),
    Case("网页改名.docx", "wrong_format", _bytes(b"<html><body><p>report</p></body></html>")),
    Case("随机字节.xlsx", "wrong_format", _bytes(bytes(range(1, 32)) * 100)),
    Case("Big5编码.txt", "unknown_encoding", _big5),
    Case("乱码.txt", "unknown_encoding", _bytes(bytes(range(128, 256)) * 8)),
    Case("扩展名.png", "unsupported_format", _bytes(b"\x89PNG\r\n\x1a\n a picture, not a report")),
    Case("没有扩展名", "unsupported_format", _truncated(10_000)),
    # the template's own promises broken
    Case("年度格当作数.xlsx", "code_sheet_tampered", with_code_sheet(_point(A_COUNT, "封面", "B4"))),
    Case("指向标签格.xlsx", "code_sheet_tampered", with_code_sheet(_point("B.1.commercial", "依申请公开", "B6"))),
    Case("两码一格.xlsx", "code_sheet_tampered", with_code_sheet(_same_cell("B.1.commercial", "B.2.total"))),
    Case("坏地址.xlsx", "code_sheet_tampered", with_code_sheet(_point(A_COUNT, "依申请公开", "ZZZZ0"))),
    Case("位置对调.xlsx", "code_sheet_tampered", with_code_sheet(_swap("B.1.natural", "B.2.natural"))),
    # without its code sheet a template is read like a unit's own workbook: by the form's labels
    Case("没有编码表.xlsx", None, lambda t, tpl: _drop_code_sheet(t, tpl)),
    Case("公式无值.xlsx", "formula_without_value", with_codes({A_COUNT: "=1+1"}), unit="乐清市科学技术局"),
    # figures no sum may hold
    Case("1e308.xlsx", "value_out_of_range", with_codes({A_COUNT: 1e308}), unit="乐清市经济和信息化局"),
    Case("1e30.xlsx", "value_out_of_range", with_codes({A_COUNT: 1e30}), unit="乐清市发展和改革局"),
    Case("十的三十次方.xlsx", "not_a_number", with_codes({A_COUNT: "10**30"}), unit="乐清市人力资源和社会保障局"),
    Case("一万亿.xlsx", "value_out_of_range", with_codes({A_COUNT: "1000000000000件"}), unit="乐清市自然资源和规划局"),
    Case("金额过大.xlsx", "value_out_of_range", with_codes({MONEY: 1e15}), unit="乐清市交通运输局"),
    Case("负数.xlsx", "negative_value", with_codes({A_COUNT: -5}), unit="乐清市农业农村局"),
    # hostile text in every field a unit writes: read, and shown as written
    Case("单位名有标记.xlsx", "unknown_unit", with_codes({"unit": "未知单位[/red]"}), unit="乐清市统计局"),
    Case("单位名是公式.xlsx", "unknown_unit", with_codes({"unit": "=cmd|' /C calc'!A0"}), unit="乐清市信访局"),
    Case("格中有标记.xlsx", "not_a_number", with_codes({A_COUNT: "[/dim]"}), unit="乐清市档案馆"),
    Case("说明是公式.xlsx", None, with_codes({"explanation": HOSTILE_FORMULA}), unit="乐清市总工会"),
    Case(
        "说明有标记.xlsx",
        "not_a_number",
        with_codes({"explanation": HOSTILE_MARKUP, A_COUNT: "[red]三件"}),
        unit="乐清市红十字会",
    ),
    Case("备注是公式.xlsx", None, with_note(A_COUNT, "=1+1"), unit="乐清市水利局"),
    Case("联系人是公式.xlsx", None, with_codes({"contact": "@SUM(1+1)*cmd", "phone": "+1+1"}), unit="乐清市司法局"),
    Case("=cmd|' -C calc'!A0.xlsx", None, lambda t, tpl: shutil.copy(tpl, t), unit="乐清市教育局"),
    Case("[bold red]标记文件名.xlsx", None, lambda t, tpl: shutil.copy(tpl, t), unit="乐清市公安局"),
    Case("..\\..\\反斜杠.xlsx", None, lambda t, tpl: shutil.copy(tpl, t), unit="乐清市民政局"),
    Case("换行\r\n文件名.xlsx", None, lambda t, tpl: shutil.copy(tpl, t), unit="乐清市财政局"),
    # archives: read member by member, under the same limits
    Case("多份报告.zip", None, _zip({"报告/../../逃逸.xlsx": lambda tpl: tpl.read_bytes()}), unit="乐清市税务局"),
    Case("压缩包里超大.zip", "file_too_large", _zip({"乐清市审计局.xlsx": _far_template})),
    Case("压缩包炸弹.zip", "file_too_large", _bomb("{}.txt", 300 * 2**20)),
    Case("加密压缩包.zip", "encrypted_file", _zip({"a.xlsx": lambda tpl: tpl.read_bytes()}, encrypt=True)),
    Case("没有报告.zip", "not_a_report", _zip({"readme.md": lambda tpl: b"nothing"})),
    # entries that are no regular file (made in place: see ``special``)
    Case("管道.xlsx", "not_a_regular_file", lambda t, tpl: os.mkfifo(t)),
    Case("链接到外面.xlsx", "not_a_regular_file", lambda t, tpl: os.symlink("/etc/passwd", t)),
    Case("链接到模板.xlsx", "not_a_regular_file", lambda t, tpl: os.symlink(tpl, t)),
    Case("文件夹.xlsx", "not_a_regular_file", lambda t, tpl: t.mkdir()),
]


def _drop_code_sheet(target: Path, template: Path) -> None:
    wb = openpyxl.load_workbook(template)
    del wb[codesheet.SHEET]
    wb.save(target)


def build_corpus(folder: Path, templates: Path) -> dict[str, Path]:
    """Every case written into ``folder`` from the sample templates in ``templates``."""
    folder.mkdir(parents=True, exist_ok=True)
    built = {}
    for case in CASES:
        target = folder / case.name
        case.build(target, templates / f"{case.unit}.xlsx")
        built[case.name] = target
    return built
