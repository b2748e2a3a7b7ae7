"""A Chart as PNG or SVG bytes: the same data always gives the same bytes.

SVG keeps its text as text (``svg.fonttype: none``), so a screen reader and a search can read the
labels, and carries the alt text as its ``<title>`` and ``<desc>``; ids come from a fixed salt
instead of a random one. Neither format carries a creation date.
"""

from __future__ import annotations

import io
import re
from xml.sax.saxutils import escape, quoteattr

import matplotlib

from patients.charts.model import Chart, ImageFormat

_RC = {"svg.hashsalt": "b12-followup-charts", "svg.fonttype": "none"}
_SOFTWARE = "B12 follow-up tracker (matplotlib)"
_SVG_OPENING = re.compile(rb"<svg\b[^>]*>")


def figure_bytes(chart: Chart, image_format: ImageFormat | str) -> bytes:
    """Render ``chart`` once; every caller that may be served from the cache comes through here."""
    image_format = ImageFormat(image_format)
    buffer = io.BytesIO()
    with matplotlib.rc_context(_RC):
        if image_format is ImageFormat.PNG:
            chart.figure.savefig(buffer, format="png", metadata={"Software": _SOFTWARE})
        else:
            chart.figure.savefig(
                buffer, format="svg", metadata={"Date": None, "Creator": _SOFTWARE}
            )
    # The constrained layout is most of a render's time; once it has placed the axes, the same
    # figure drawn in the other format keeps those places instead of solving them again.
    chart.figure.set_layout_engine("none")
    if image_format is ImageFormat.PNG:
        return buffer.getvalue()
    return _with_description(buffer.getvalue(), chart)


def _with_description(svg: bytes, chart: Chart) -> bytes:
    """Name the image for assistive technology: role="img", <title> and <desc> first inside it."""
    opening = _SVG_OPENING.search(svg)
    if opening is None:  # matplotlib always writes one; keep the image rather than fail
        return svg
    tag = opening.group(0)
    labelled = tag[:-1] + b' role="img" aria-label=' + quoteattr(chart.title).encode() + b">"
    described = (
        f"<title>{escape(chart.title)}</title><desc>{escape(chart.alt_text)}</desc>".encode()
    )
    return svg[: opening.start()] + labelled + described + svg[opening.end() :]
