"""The visit summary (one page, for staff) and the take-home plan (the guardian's language), read
back from the PDF with pypdf, an independent reader. Written to artifacts/reports/."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from patients.services import charts as chart_service
from tests.charts.conftest import TODAY

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def test_visit_summaries_fit_one_page_and_say_what_staff_need(world, artifacts):
    for label, infant in (("S000-P1", world.p1), ("S000-P2", world.p2)):
        _, pdf = chart_service.visit_summary_pdf(user=world.staff, infant_id=infant.pk, today=TODAY)
        (artifacts / "reports" / f"{label}-visit-summary.pdf").write_bytes(pdf)
        pages, text = text_of(pdf)
        assert pages == 1
        for words in (
            "Visit summary",
            "Latest B12 panel",
            "Doses since the last visit",
            "Open follow-ups",
            "Weight-for-age",
            "WHO Child Growth Standards 2006",
        ):
            assert words in text, (label, words)
    _, p1 = text_of(
        chart_service.visit_summary_pdf(user=world.staff, infant_id=world.p1.pk, today=TODAY)[1]
    )
    # Seed 000, patient 1: the latest B12 is 1068 pg/mL (the "<150" was on admission); Denver II
    # at 3 years delayed in language and fine motor, as reported.
    assert "1068 pg/mL" in p1 and "high" in p1
    assert "Emir Yıldız" in p1 and "S000-P1" in p1
    assert "8.6 kg" in p1 and "-1.05" in p1
    assert "Language" in p1 and "delayed (reported)" in p1
    _, p2 = text_of(
        chart_service.visit_summary_pdf(user=world.staff, infant_id=world.p2.pk, today=TODAY)[1]
    )
    assert "<150 pg/mL" in p2 and "6.7 g/dL" in p2
    assert "stopped 2025-05-24" in p2


def test_take_home_plans_in_the_guardian_s_language(world, artifacts):
    for label, infant, user in (
        ("S000-P1", world.p1, world.parent1),
        ("S000-P2", world.p2, world.parent2),
    ):
        for language in ("tr", "en"):
            _, pdf, used = chart_service.take_home_plan_pdf(
                user=user, infant_id=infant.pk, language=language, today=TODAY
            )
            assert used == language
            (artifacts / "reports" / f"{label}-take-home-plan-{language}.pdf").write_bytes(pdf)

    # Patient 1's guardian reads Turkish: the monthly injections go on.
    _, pdf, used = chart_service.take_home_plan_pdf(
        user=world.parent1, infant_id=world.p1.pk, today=TODAY
    )
    assert used == "tr"
    pages, text = text_of(pdf)
    assert pages == 1
    assert "Emir için tedavi planı" in text
    assert "Sıradaki iğneler" in text and "İğne (B12 vitamini), 1 mg" in text
    assert "Klinikte" in text and "Aralık" in text  # the December injection, in Turkish
    assert "Yazdırılma tarihi: 21 Kasım 2026" in text
    # Plain words only: no diagnosis, no laboratory numbers.
    for clinical in ("deficiency", "eksikli", "atrophy", "pg/mL", "Denver"):
        assert clinical not in text

    # Patient 2's course stopped after 18 months: no injection, the booked check-up remains.
    _, pdf, _ = chart_service.take_home_plan_pdf(
        user=world.staff, infant_id=world.p2.pk, language="en", today=TODAY
    )
    _, text = text_of(pdf)
    assert "Elif's plan" in text
    assert "No injection is planned at the moment." in text
    assert "Check-up" in text and "At the clinic" in text
