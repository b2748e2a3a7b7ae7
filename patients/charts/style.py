"""The look every chart shares: one figure factory, colours and the words used on axes."""

from __future__ import annotations

import unicodedata

from matplotlib.figure import Figure

# Colour-blind-safe pairs (Okabe-Ito palette), so "late" and "on time" differ for every reader.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
RED = "#D55E00"
PURPLE = "#CC79A7"
SKY = "#56B4E9"
YELLOW = "#F0E442"
GREY = "#777777"
BLACK = "#000000"

GROUP_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, SKY, RED, YELLOW, GREY)

TIMING_COLOURS = {"early": BLUE, "on_time": GREEN, "late": RED}

# Treatment phases shaded in turn, light enough for the data drawn over them.
PHASE_COLOURS = ("#FDE7C4", "#FBD3A0", "#F8BE7A", "#F5AA55")

SUPPRESSED = "suppressed: fewer than 5"


def new_figure(width_in: float, height_in: float) -> Figure:
    """A figure of the object API with the constrained layout, 100 dots per inch for PNG."""
    figure = Figure(figsize=(width_in, height_in), dpi=100, layout="constrained")
    figure.set_facecolor("white")
    return figure


def months_label(months: float) -> str:
    return f"{months:.1f} months"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def centile_text(centile: float) -> str:
    """A centile in words; the tails are said as bounds ("<1st"), never as a "0th" centile."""
    if centile < 1:
        return "<1st"
    if centile > 99:
        return ">99th"
    return ordinal(round(centile))


def count_text(n: int) -> str:
    """A count as a chart may show it: 1 to 4 infants are never shown exactly."""
    return "<5" if 0 < n < 5 else str(n)


# Dashes and symbols as they are spelled in plain ASCII (en dash U+2013, em dash U+2014).
_ASCII = {
    "≥": ">=",
    "≤": "<=",
    "\u2013": "-",
    "\u2014": "-",
    "×": "x",
    "µ": "u",
    "ı": "i",
    "İ": "I",
}


def ascii_text(text: str) -> str:
    """Alt text for an HTTP header, which carries ISO-8859-1 at best: spell symbols out, fold
    accents ("Ö" -> "O"), drop anything left over."""
    spelled = "".join(_ASCII.get(char, char) for char in text)
    folded = unicodedata.normalize("NFKD", spelled)
    return folded.encode("ascii", "ignore").decode("ascii")
