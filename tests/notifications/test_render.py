"""Messages are rendered at send time, in the guardian's language, naming only what they need."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest

from patients.models.reminders import Channel, MessageKind
from patients.notifications import PermanentGatewayError
from patients.notifications.render import render
from tests.notifications import DIAGNOSIS_WORDS, make_guardian, planned_message, start_seed_course

ISTANBUL = zoneinfo.ZoneInfo("Europe/Istanbul")
DOSE_DAY = datetime.date(2025, 3, 13)  # a Thursday, a dose day of the course started below
EVENING_BEFORE = datetime.datetime(2025, 3, 12, 19, 0, tzinfo=ISTANBUL)
MORNING_OF = datetime.datetime(2025, 3, 13, 8, 0, tzinfo=ISTANBUL)

# What each language's date looks like, from Django's own month and day names.
DAY_TEXT = {"tr": "13 Mart Perşembe", "en": "Thursday 13 March"}
DOSE_KINDS = {MessageKind.DOSE_EVENING_BEFORE, MessageKind.DOSE_MORNING_OF, MessageKind.MISSED_DOSE}


@pytest.fixture
def dose(infant, staff):
    course = start_seed_course(infant, actor=staff, started_on=datetime.date(2025, 3, 3))
    return course.planned_doses.get(due_on=DOSE_DAY)


def _message(infant, dose, *, kind, channel, language):
    guardian = make_guardian(infant, language=language)
    return planned_message(
        guardian,
        infant,
        kind=kind,
        channel=channel,
        event_on=DOSE_DAY,
        planned_dose=dose if kind in DOSE_KINDS or kind == MessageKind.NEW_PLAN else None,
    )


@pytest.mark.parametrize("language", ["tr", "en"])
@pytest.mark.parametrize("kind", MessageKind.values)
@pytest.mark.parametrize("channel", Channel.values)
def test_every_kind_renders_in_both_languages_without_the_diagnosis(
    infant, dose, kind, channel, language
):
    message = _message(infant, dose, kind=kind, channel=channel, language=language)

    out = render(message, now=EVENING_BEFORE)

    assert out.language == language
    assert out.idempotency_key == str(message.id)
    assert infant.given_name in out.body
    assert infant.clinic.name in out.body
    assert DAY_TEXT[language] in out.body
    assert "{" not in out.body and "\n" not in out.body
    lowered = (out.body + " " + out.subject).lower()
    assert not [word for word in DIAGNOSIS_WORDS if word in lowered]
    if channel == Channel.SMS:
        assert out.to == "+905321234567"
        assert out.subject == ""
    else:
        assert out.to == "veli@example.org"
        assert out.subject and "\n" not in out.subject
        assert infant.given_name in out.subject


@pytest.mark.parametrize(
    ("language", "word"), [("en", "injection"), ("tr", "iğne")], ids=["en", "tr"]
)
def test_the_dose_is_called_an_injection_in_the_guardians_language(infant, dose, language, word):
    message = _message(
        infant, dose, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.SMS, language=language
    )
    assert word in render(message, now=MORNING_OF).body


@pytest.mark.parametrize(
    ("now", "language", "expected"),
    [
        (EVENING_BEFORE, "en", "tomorrow, Thursday 13 March"),
        (EVENING_BEFORE, "tr", "yarın, 13 Mart Perşembe"),
        # Held back by quiet hours past midnight: the same reminder now says "today".
        (datetime.datetime(2025, 3, 13, 7, 0, tzinfo=ISTANBUL), "en", "today, Thursday 13 March"),
        (datetime.datetime(2025, 3, 13, 7, 0, tzinfo=ISTANBUL), "tr", "bugün, 13 Mart Perşembe"),
    ],
)
def test_today_or_tomorrow_is_decided_when_the_message_leaves(
    infant, dose, now, language, expected
):
    message = _message(
        infant,
        dose,
        kind=MessageKind.DOSE_EVENING_BEFORE,
        channel=Channel.SMS,
        language=language,
    )
    assert expected in render(message, now=now).body


def test_today_is_the_guardians_day_not_the_servers(infant, dose):
    # 23:30 UTC on the 12th is already 02:30 on the 13th in Istanbul.
    late = datetime.datetime(2025, 3, 12, 23, 30, tzinfo=datetime.UTC)
    message = _message(
        infant, dose, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.SMS, language="en"
    )
    assert "today, Thursday 13 March" in render(message, now=late).body


def test_a_template_change_reaches_a_message_already_planned(infant, dose, settings, tmp_path):
    message = _message(
        infant, dose, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.SMS, language="en"
    )
    (tmp_path / "notifications").mkdir()
    (tmp_path / "notifications" / "dose_morning_of.en.txt").write_text(
        "Corrected text for {{ child }}."
    )
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]

    assert render(message, now=MORNING_OF).body == f"Corrected text for {infant.given_name}."


def test_names_are_not_html_escaped(infant, dose):
    infant.given_name = "O'Neil"
    infant.save()
    message = _message(
        infant, dose, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.EMAIL, language="en"
    )
    out = render(message, now=MORNING_OF)
    assert "O'Neil's injection" in out.body
    assert "O'Neil" in out.subject


def test_a_phone_number_is_sent_in_e164(infant, dose):
    guardian = make_guardian(infant, phone="0532 123 45 67")  # national format, region TR
    message = planned_message(
        guardian, infant, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.SMS, event_on=DOSE_DAY
    )
    assert render(message, now=MORNING_OF).to == "+905321234567"


@pytest.mark.parametrize(
    ("channel", "missing"), [(Channel.SMS, {"phone": ""}), (Channel.EMAIL, {"email": ""})]
)
def test_a_missing_address_is_a_permanent_failure(infant, dose, channel, missing):
    guardian = make_guardian(infant, **missing)
    message = planned_message(
        guardian, infant, kind=MessageKind.DOSE_MORNING_OF, channel=channel, event_on=DOSE_DAY
    )
    with pytest.raises(PermanentGatewayError):
        render(message, now=MORNING_OF)


def test_an_unsupported_language_falls_back_to_turkish(infant, dose):
    message = _message(
        infant, dose, kind=MessageKind.DOSE_MORNING_OF, channel=Channel.SMS, language="tr"
    )
    message.guardian.language = "de"
    out = render(message, now=MORNING_OF)
    assert out.language == "tr"
    assert DAY_TEXT["tr"] in out.body
