"""Charts: matplotlib figures drawn from plain data, returned as PNG or SVG bytes.

The drawing modules take the frozen data classes of ``model`` (numbers, dates and labels, already
scoped and de-identified by the caller) and return a :class:`model.Chart`: a
``matplotlib.figure.Figure`` built with the object API (never pyplot, which keeps global state
that a server process must not share between requests), its title and its alt text. They import
no Django, so they are tested without a database.

- ``growth``: WHO Child Growth Standards 2006 centile curves (3rd, 15th, 50th, 85th, 97th, from
  the LMS tables in ``centiles``) with the infant's measurements.
- ``trajectory``: milestone attainment against the WHO motor windows and the Denver II bars, with
  the treatment phases, MRI studies and adverse events on the same age axis.
- ``denver``: Denver II developmental age per sector against the age line, and each sector's
  conclusion at every assessment.
- ``labs``: B12, haemoglobin, MCV, homocysteine and MMA against days since the first dose.
- ``cohort`` and ``survival``: the leads' cohort charts (Kaplan-Meier curves, Denver II at three
  years, adherence, retention), with every group of fewer than five infants suppressed.
- ``render``: a Chart to PNG or SVG bytes, deterministic for the same data.

``loader`` is the one module here that reads the database: it turns an infant's record (or a
lead's cohort) into the data classes above.
"""
