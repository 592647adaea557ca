"""The security officer's sign-off, as rules over plain values: what a control-list entry looks like, what the
Trusted Research outcomes are, and what a complete sign-off needs. No Flask and no database: the form checks a
sign-off with these before it is sent and the service again before it is recorded.

Control-list entries are those of the UK Strategic Export Control List: a dual-use entry is a category (0-9), a
product group (A-E) and three digits ("2B001", "5A002"), the Military List's are ML1 to ML22 ("ML8"), the UK's
national entries PL followed by four digits ("PL9009"); any of them may name a sub-item (".a", ".a.1").
"""
from __future__ import annotations

import re

TRUSTED_RESEARCH_OUTCOMES = {
    "no_concerns": "No concerns",
    "concerns_mitigated": "Concerns mitigated by the conditions",
    "refer": "Refer for a further decision",
}
# The recommendation a sign-off counts as in the committee's lists (who has recommended, reminders, the chair's
# "ready for decision"): a referral is not approvable as it stands.
RECOMMENDATION_FOR = {"no_concerns": "approve", "concerns_mitigated": "approve_with_conditions",
                      "refer": "changes_requested"}
LICENCE_CHOICES = {"yes": "Yes, an export licence is needed", "no": "No licence is needed"}
CLASSIFICATION_CHOICES = {"listed": "On a control list", "not_listed": "Not listed"}
ENTRY_MAX = 40

_ENTRY = re.compile(r"(?:[0-9][A-E][0-9]{3}|ML(?:[1-9]|1[0-9]|2[0-2])|PL[0-9]{4})(?:\.[a-z0-9]{1,4})*")


def control_entry(text: str) -> str | None:
    """The entry written the way the list writes it ("2b001.A" -> "2B001.a"), or None when it is not one."""
    text = text.strip().replace(" ", "")
    head, dot, tail = text.partition(".")
    entry = head.upper() + dot + tail.lower()
    return entry if _ENTRY.fullmatch(entry) else None


def problems(*, classification: str, entry: str, basis: str, licence: str, trusted_research: str,
             conditions: str) -> dict[str, str]:
    """Field name -> what is wrong with it, in words for the form; empty when the sign-off can be recorded."""
    found: dict[str, str] = {}
    if classification not in CLASSIFICATION_CHOICES:
        found["classification"] = "Say whether the work is on a control list"
    elif classification == "listed":
        if not entry.strip():
            found["control_entry"] = "Enter the control-list entry, for example 2B001 or ML8"
        elif control_entry(entry) is None:
            found["control_entry"] = ("Enter a control-list entry like 2B001, 5D002.c.1, ML8 or PL9009 "
                                      f"(“{entry.strip()[:ENTRY_MAX]}” is not one)")
    elif not basis.strip():
        found["basis"] = "Give the basis for “not listed”: the entries considered and why none applies"
    if licence not in LICENCE_CHOICES:
        found["licence"] = "Say whether an export licence is needed"
    if trusted_research not in TRUSTED_RESEARCH_OUTCOMES:
        found["trusted_research"] = "Choose the Trusted Research outcome"
    elif trusted_research == "concerns_mitigated" and not conditions.strip():
        found["conditions"] = "List the conditions that mitigate the Trusted Research concerns"
    return found


def summary(entry: str | None, licence_required: bool, trusted_research: str) -> str:
    """The sign-off in one line, where the committee's lists show a reviewer's summary."""
    licence = "licence needed" if licence_required else "no licence needed"
    return (f"Export control: {entry or 'not listed'}, {licence}. "
            f"Trusted Research: {TRUSTED_RESEARCH_OUTCOMES[trusted_research].lower()}.")
