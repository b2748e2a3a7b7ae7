"""The take-home plan's words in Turkish and English.

Plain words, as the reminders use them (templates/notifications): the child's first name, the day,
the place, "injection" or "dose by mouth", and "vitamin B12", which the family knows their child
is given. No diagnosis, no test names: a sheet on a fridge is read by visitors too.
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("tr", "en")
FALLBACK: Final = "tr"

PHRASES: Final[dict[str, dict[str, str]]] = {
    "en": {
        "title": "{child}'s plan",
        "intro": "{clinic}: the next injections and visits.",
        "doses": "Next injections",
        "visits": "Next visits",
        "date": "Date",
        "what": "What",
        "where": "Where",
        "injection": "Injection (vitamin B12), {dose}",
        "by_mouth": "Dose by mouth (vitamin B12), {dose}",
        "at_clinic": "At the clinic",
        "at_home": "At home",
        "visit": "Check-up",
        "visit_with_tests": "Check-up with a blood test",
        "no_doses": "No injection is planned at the moment.",
        "no_visits": "No visit is booked at the moment; the clinic will call you.",
        "bring": "Please bring this sheet to every visit.",
        "call": "If you cannot come on a day, please call the clinic to agree another day.",
        "printed": "Printed on {day}. The plan may change: the clinic will tell you.",
        "microgram": "micrograms",
        "mg": "mg",
    },
    "tr": {
        "title": "{child} için tedavi planı",
        "intro": "{clinic}: sıradaki iğneler ve kontroller.",
        "doses": "Sıradaki iğneler",
        "visits": "Sıradaki kontroller",
        "date": "Tarih",
        "what": "Ne yapılacak",
        "where": "Nerede",
        "injection": "İğne (B12 vitamini), {dose}",
        "by_mouth": "Ağızdan doz (B12 vitamini), {dose}",
        "at_clinic": "Klinikte",
        "at_home": "Evde",
        "visit": "Kontrol",
        "visit_with_tests": "Kontrol ve kan tahlili",
        "no_doses": "Şu anda planlanmış bir iğne yok.",
        "no_visits": "Şu anda randevu yok; klinik sizi arayacak.",
        "bring": "Lütfen bu kâğıdı her kontrole getirin.",
        "call": "Gelemeyeceğiniz bir gün olursa başka bir gün için lütfen kliniği arayın.",
        "printed": "Yazdırılma tarihi: {day}. Plan değişebilir; klinik size haber verir.",
        "microgram": "mikrogram",
        "mg": "mg",
    },
}


def language_or_fallback(language: str | None) -> str:
    return language if language in LANGUAGES else FALLBACK


def phrase(language: str, key: str, **values: str) -> str:
    return PHRASES[language_or_fallback(language)][key].format(**values)
