"""The two documents laid out on A4 with fpdf2.

The visit summary is one page by construction: automatic page breaks are off and every section
shows a bounded number of rows (the loader cuts longer lists and says how many were left out), so
it never spills onto a second sheet. The take-home plan uses large type and short tables.

Fonts: DejaVu Sans, shipped inside matplotlib (``mpl-data/fonts/ttf``, the Bitstream Vera licence
extended by DejaVu), so "ğ, ş, ı, İ" print without any system font.
"""

from __future__ import annotations

import datetime
import io
import logging
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from patients.reports.model import Row, TakeHomePlan, VisitSummary
from patients.reports.phrases import phrase

# fontTools, which fpdf2 uses to embed only the glyphs a document needs, logs every glyph table it
# touches at INFO: hundreds of lines per PDF in the server's log, none of them useful.
logging.getLogger("fontTools").setLevel(logging.WARNING)

_FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
_FONT = "DejaVu"
_MARGIN = 12.0
_ATTENTION = (213, 94, 0)  # the charts' "late" colour
_BLACK = (0, 0, 0)
_GREY = (110, 110, 110)
_RULE = (200, 200, 200)


class _Document(FPDF):
    def __init__(self, *, title: str, created: datetime.datetime | None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.add_font(_FONT, "", str(_FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(_FONT, "B", str(_FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(False)
        self.set_title(title)
        self.set_creator("B12 follow-up tracker")
        if created is not None:
            self.set_creation_date(created)
        self.add_page()

    @property
    def width(self) -> float:
        return self.w - 2 * _MARGIN

    def heading(self, text: str, size: float = 11) -> None:
        self.ln(1.5)
        self.set_font(_FONT, "B", size)
        self.set_text_color(*_BLACK)
        self.cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y() + 0.5, self.l_margin + self.width, self.get_y() + 0.5)
        self.ln(1.5)

    def line_of_text(self, text: str, size: float = 8.5, colour=_BLACK, bold: bool = False) -> None:
        self.set_font(_FONT, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(self.width, size * 0.48, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def rows(
        self,
        header: tuple[str, ...],
        rows: tuple[Row, ...],
        widths: tuple[float, ...],
        *,
        size: float = 8.0,
        x: float | None = None,
    ) -> None:
        left = self.l_margin if x is None else x
        height = size * 0.55
        self.set_x(left)
        self.set_font(_FONT, "B", size)
        self.set_text_color(*_GREY)
        for text, width in zip(header, widths, strict=True):
            self.cell(width, height, text)
        self.ln(height)
        self.set_font(_FONT, "", size)
        for row in rows:
            self.set_x(left)
            self.set_text_color(*(_ATTENTION if row.attention else _BLACK))
            for text, width in zip(row.cells, widths, strict=True):
                self.cell(width, height, _fit(self, text, width))
            self.ln(height)
        self.set_text_color(*_BLACK)


def _fit(document: FPDF, text: str, width: float) -> str:
    """Shorten a cell's text with an ellipsis rather than let it run into the next column."""
    if document.get_string_width(text) <= width - 1:
        return text
    while text and document.get_string_width(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"


def visit_summary_pdf(summary: VisitSummary, *, created: datetime.datetime | None = None) -> bytes:
    document = _Document(title=f"Visit summary: {summary.infant}", created=created)
    width = document.width

    document.set_font(_FONT, "B", 15)
    document.cell(width * 0.55, 8, "Visit summary")
    document.set_font(_FONT, "", 9)
    document.set_text_color(*_GREY)
    document.cell(width * 0.45, 8, summary.clinic, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.line_of_text(summary.infant, size=12, bold=True)
    document.line_of_text(summary.identity)
    document.line_of_text(summary.ages)
    document.line_of_text(summary.treatment)

    document.heading(summary.growth_heading)
    top = document.get_y()
    table_width = width * 0.5
    document.rows(
        ("Indicator", "Value", "z", "Centile"),
        summary.growth,
        (table_width * 0.42, table_width * 0.24, table_width * 0.14, table_width * 0.2),
    )
    if summary.growth_chart_png:
        document.image(
            io.BytesIO(summary.growth_chart_png),
            x=document.l_margin + table_width + 2,
            y=top,
            w=width - table_width - 2,
        )
        # The chart is 8 x 5.5 inches: its height on the page follows from the width.
        document.set_y(max(document.get_y(), top + (width - table_width - 2) * 5.5 / 8) + 1)

    document.heading("Latest B12 panel")
    document.rows(
        ("Test", "Result", "Taken", "Flag", "Reference"),
        summary.labs,
        (width * 0.27, width * 0.2, width * 0.16, width * 0.12, width * 0.25),
    )

    document.heading(summary.denver_heading)
    document.rows(
        ("Sector", "Conclusion", "Developmental age"),
        summary.denver,
        (width * 0.28, width * 0.44, width * 0.28),
    )

    document.heading(summary.adherence_heading)
    document.rows(
        ("Phase", "Due", "On time", "Late", "Missed", "Not yet due in grace"),
        summary.adherence,
        (width * 0.25, width * 0.1, width * 0.13, width * 0.13, width * 0.13, width * 0.26),
    )

    document.heading("Open follow-ups")
    document.rows(("When", "What"), summary.follow_ups, (width * 0.18, width * 0.82))

    document.set_y(document.h - _MARGIN - 8)
    document.line_of_text(f"{summary.printed}. {summary.sources}", size=6.5, colour=_GREY)
    return bytes(document.output())


def take_home_plan_pdf(plan: TakeHomePlan, *, created: datetime.datetime | None = None) -> bytes:
    language = plan.language
    title = phrase(language, "title", child=plan.child)
    document = _Document(title=title, created=created)
    document.set_lang(language)
    width = document.width

    document.set_font(_FONT, "B", 20)
    document.multi_cell(width, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    document.line_of_text(phrase(language, "intro", clinic=plan.clinic), size=12)
    document.ln(4)

    columns = (
        phrase(language, "date"),
        phrase(language, "what"),
        phrase(language, "where"),
    )
    document.heading(phrase(language, "doses"), size=15)
    if plan.doses:
        document.rows(columns, plan.doses, (width * 0.36, width * 0.44, width * 0.2), size=12)
    else:
        document.line_of_text(phrase(language, "no_doses"), size=12)
    document.ln(4)
    document.heading(phrase(language, "visits"), size=15)
    if plan.visits:
        document.rows(columns, plan.visits, (width * 0.36, width * 0.44, width * 0.2), size=12)
    else:
        document.line_of_text(phrase(language, "no_visits"), size=12)
    document.ln(8)
    document.line_of_text(phrase(language, "bring"), size=12, bold=True)
    document.line_of_text(phrase(language, "call"), size=12)
    document.ln(4)
    document.line_of_text(phrase(language, "printed", day=plan.printed), size=9, colour=_GREY)
    return bytes(document.output())
