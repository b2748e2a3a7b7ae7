"""Reminders parents can trust: planning the rows (planning) and closing the loop (loop).

Sending is not here: a dispatcher claims due rows and channels render and deliver them.
"""

from patients.services.reminders.loop import (
    acknowledge_reminder,
    mark_missed_doses,
    messages_for_infant,
    missed_doses_worklist,
)
from patients.services.reminders.planning import (
    PlanResult,
    plan_reminders,
    plan_reminders_for,
    record_reminder_consent,
    replan_after_change,
    update_reminder_preferences,
    withdraw_reminder_consent,
)

__all__ = [
    "PlanResult",
    "acknowledge_reminder",
    "mark_missed_doses",
    "messages_for_infant",
    "missed_doses_worklist",
    "plan_reminders",
    "plan_reminders_for",
    "record_reminder_consent",
    "replan_after_change",
    "update_reminder_preferences",
    "withdraw_reminder_consent",
]
