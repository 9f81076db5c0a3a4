"""The picture in the gaps email: 报送率 and 及时率 by category, and each category's units as
按时报送, 迟报 and 未报送 (they add up to 应报), drawn from the same ``Counts`` as the tables.

Drawn with matplotlib (imported only here, when an email is written). Chinese needs a Chinese
font: the first of ``FONTS`` installed is used (Windows, macOS, Linux names), and with none the
email goes without the picture, its tables saying the same."""

from __future__ import annotations

from io import BytesIO

from rollup.status import StatusReport

FONTS = (
    "Microsoft YaHei",  # Windows
    "SimHei",
    "DengXian",
    "SimSun",
    "PingFang SC",  # macOS
    "Hiragino Sans GB",
    "Heiti SC",
    "Noto Sans CJK SC",  # Linux
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Serif CJK SC",
)
ALT = "报送率、及时率和各类别报送情况图"
_COLOURS = {"报送率": "#4472C4", "及时率": "#ED7D31", "按时报送": "#70AD47", "迟报": "#FFC000", "未报送": "#C00000"}


def chinese_fonts() -> list[str]:
    """The font families of ``FONTS`` installed on this machine, in that order."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return [name for name in FONTS if name in installed]


def status_chart(report: StatusReport) -> bytes | None:
    """The PNG, or None when no Chinese font is installed."""
    import matplotlib
    from matplotlib.figure import Figure

    fonts = chinese_fonts()
    if not fonts or not report.units:
        return None
    names = list(report.counts)
    counts = list(report.counts.values())
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [*fonts, "DejaVu Sans"]}):
        figure = Figure(figsize=(9, 3.4), dpi=100)
        rates, units = figure.subplots(1, 2)
        width = 0.38
        for offset, label, values in (
            (-width / 2, "报送率", [c.submission_rate * 100 for c in counts]),
            (width / 2, "及时率", [c.timeliness_rate * 100 for c in counts]),
        ):
            bars = rates.bar([i + offset for i in range(len(names))], values, width, label=label, color=_COLOURS[label])
            rates.bar_label(bars, fmt="%.1f%%", fontsize=8)
        rates.set_xticks(range(len(names)), names)
        rates.set_ylim(0, 115)
        rates.set_ylabel("%")
        rates.set_title("报送率和及时率")
        rates.legend(loc="lower right", fontsize=8)
        bottom = [0] * len(names)
        for label, numbers in (
            ("按时报送", [c.on_time for c in counts]),
            ("迟报", [c.late for c in counts]),
            ("未报送", [c.missing for c in counts]),
        ):
            units.bar(names, numbers, 0.6, bottom=bottom, label=label, color=_COLOURS[label])
            bottom = [b + n for b, n in zip(bottom, numbers, strict=True)]
        units.set_title("各类别单位报送情况（家）")
        units.legend(fontsize=8)
        figure.tight_layout()
        picture = BytesIO()
        figure.savefig(picture, format="png")
    return picture.getvalue()
