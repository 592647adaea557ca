"""An application's audit trail in words, for the committee's history page: one sentence per event, naming who
acted, with a run of autosaves by one person on one section folded into a single line.

The trail stores what a machine needs (ids, flags, lists); people read "Dr Okafor saved section A (questions
A1b, A3)". Every action the code records that can belong to an application has its sentence here; an action
without one still reads as words, never as the stored data.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.core.audit import AuditEvent
from app.documents.models import DOCUMENT_KINDS
from app.reviews.export_control import TRUSTED_RESEARCH_OUTCOMES
from app.submissions.workflow import OUTCOMES, ROUTES

# Who acted when no one did: the application itself (reminders, background rendering).
SYSTEM = "Crucible"
RECOMMENDED = {
    "approve": "approval",
    "approve_with_conditions": "approval with conditions",
    "changes_requested": "changes",
    "reject": "rejection",
}

Data = Mapping[str, Any]
# People's names by user id and by email (some events name a person by the address they were asked at).
Names = Mapping[int | str, str]


@dataclass
class HistoryLine:
    """One line of the history: a sentence, when it happened and, for a folded run of autosaves, each save."""

    at: datetime
    sentence: str
    until: datetime | None = None
    saves: list[HistoryLine] = field(default_factory=list)


def _questions(data: Data) -> str:
    saved = [str(q) for q in data.get("questions") or []]
    if not saved:
        return ""
    return f" (question{'s' if len(saved) > 1 else ''} {', '.join(saved)})"


def _saved(data: Data, names: Names) -> str:
    how = " automatically" if data.get("autosave") else ""
    return f"saved section {data.get('section', '')}{_questions(data)}{how}"


def _reason(data: Data, key: str = "reason") -> str:
    text = str(data.get(key) or "").strip()
    return f": {text}" if text else ""


def _round(data: Data) -> str:
    return f" (round {data['round']})" if data.get("round") else ""


def _route(data: Data, key: str) -> str:
    return ROUTES.get(str(data.get(key)), "the route it scored").lower()


def _without(data: Data) -> str:
    """The extra reviewers the policy asked for that the office confirmed starting without."""
    missing = [str(role).replace("_", " ") for role in data.get("without_extra_reviewers") or []]
    return f", without a {' or a '.join(missing)}" if missing else ""


def _day(data: Data, key: str) -> str | None:
    """The stored ISO date `key` as people write it, or None without one."""
    try:
        return f"{date.fromisoformat(str(data[key])):%-d %B %Y}"
    except (KeyError, ValueError):
        return None


def _due(data: Data) -> str:
    due = _day(data, "due")
    return f", due {due}" if due else ""


# What an assignment's kind asks its reviewer to be, as the history says it.
_KIND_NAMES = {"security": "security officer", "sustainability": "sustainability reviewer",
               "data_steward": "data steward"}


def _assigned(data: Data, names: Names) -> str:
    role = _KIND_NAMES.get(str(data.get("kind")), "reviewer")
    who = names.get(str(data.get("reviewer")), data.get("reviewer") or "someone")
    return f"asked {who} to review as {role}{_due(data)}{_round(data)}"


def _unassigned(data: Data, names: Names) -> str:
    return f"removed {names.get(data.get('reviewer_id') or 0, 'a reviewer')} from the review"


def _commented(data: Data, names: Names) -> str:
    verb = "replied to a comment" if data.get("reply_to") else "commented"
    audience = "to the applicant" if data.get("visibility") == "applicant" else "for the committee"
    return f"{verb} on question {data.get('question', '')} {audience}"


def _recommended(data: Data, names: Names) -> str:
    return f"recommended {RECOMMENDED.get(str(data.get('recommendation')), 'a course of action')}{_round(data)}"


def _recommendation_changed(data: Data, names: Names) -> str:
    return f"changed their recommendation to {RECOMMENDED.get(str(data.get('recommendation')), 'another')}"


def _signed_off(data: Data, names: Names) -> str:
    entry = f"listed as {data['control_entry']}" if data.get("control_entry") else "not on a control list"
    licence = ", licence required" if data.get("licence_required") else ""
    outcome = TRUSTED_RESEARCH_OUTCOMES.get(str(data.get("trusted_research")), "")
    return f"signed off export control and Trusted Research{_round(data)}: {entry}{licence}; {outcome}"


def _long_date(data: Data, key: str) -> str:
    return _day(data, key) or "its date"


def _decided(data: Data, names: Names) -> str:
    until = f", valid until {_long_date(data, 'valid_until')}" if data.get("valid_until") else ""
    return f"decided {OUTCOMES.get(str(data.get('outcome')), 'the application')}{_round(data)}{until}"


def _expiry_reminded(data: Data, names: Names) -> str:
    return (f"reminded the team that the approval ends on {_long_date(data, 'valid_until')} "
            f"({data.get('days_left', '?')} days ahead)")


def _document(data: Data) -> str:
    kind = DOCUMENT_KINDS.get(str(data.get("kind")), "assessment")
    return f"the {kind.lower()} document{_round(data)}"


def _document_failed(data: Data, names: Names) -> str:
    then = "gave up" if data.get("final") else "will try again"
    return f"could not make {_document(data)} on attempt {data.get('attempt', 1)} and {then}"


def _verified(data: Data, names: Names) -> str:
    return f"checked a PDF against the archive: {'it matched' if data.get('ok') else 'it did not match'}"


def _moved(data: Data, names: Names) -> str:
    again = len(data.get("reanswer") or [])
    return f"moved the application from questionnaire version {data.get('from')} to {data.get('to')}" + (
        f" ({again} question{'s' if again != 1 else ''} to answer again)" if again else "")


def _joined(data: Data, names: Names) -> str:
    recused = ", ".join(str(role).replace("_", " ") for role in data.get("recused_as") or [])
    return f"joined the team as {data.get('role', 'member')}" + (
        f", stepping aside from this application as {recused}" if recused else "")


def _fixed(words: str) -> Callable[[Data, Names], str]:
    return lambda data, names: words


SENTENCES: dict[str, Callable[[Data, Names], str]] = {
    "sso.signed_in": lambda d, n: f"signed in through {d.get('provider', 'an identity provider')}",
    "sso.sign_in_refused": lambda d, n: (f"was refused sign-in through {d.get('provider', 'an identity provider')}"
                                         f"{_reason(d)}"),
    "sso.linked": lambda d, n: f"linked their account to their identity at {d.get('provider', 'a provider')}",
    "sso.account_created": lambda d, n: (f"had an account made on first signing in through "
                                         f"{d.get('provider', 'an identity provider')}"),
    "submission.created": lambda d, n: f"started the application “{d.get('title', '')}”",
    "submission.questionnaire_moved": _moved,
    "answers.saved": _saved,
    "member.invited": lambda d, n: f"invited {d.get('email', 'someone')} to the team as {d.get('role', 'member')}",
    "member.removed": lambda d, n: f"removed {d.get('email', 'someone')} from the team",
    "team.invitation_accepted": _joined,
    "team.invitation_declined": lambda d, n: f"declined the invitation to join the team as {d.get('role', 'member')}",
    "submission.submitted": lambda d, n: f"submitted the application{_round(d)}",
    "submission.resubmitted": lambda d, n: f"resubmitted the application{_round(d)}",
    "submission.withdrawn": lambda d, n: f"withdrew the application{_reason(d)}",
    "submission.deleted": _fixed("deleted the draft"),
    "route.overridden": lambda d, n: f"set the route to {_route(d, 'to')}{_reason(d)}",
    "reviewer.assigned": _assigned,
    "reviewer.unassigned": _unassigned,
    "review.started": lambda d, n: f"started the review on the route {_route(d, 'route')}{_without(d)}{_round(d)}",
    "conflict.declared": _fixed("declared a conflict of interest and stepped aside"),
    "conflict.none_declared": _fixed("declared no conflict of interest"),
    "chair.recused": _fixed("stepped aside as chair: a deputy chair decides"),
    "comment.added": _commented,
    "comment.resolved": _fixed("marked a comment resolved"),
    "recommendation.recorded": _recommended,
    "recommendation.changed": _recommendation_changed,
    "security_signoff.recorded": _signed_off,
    "security_signoff.changed": lambda d, n: "changed the sign-off: " + _signed_off(d, n).split(": ", 1)[-1],
    "decision.recorded": _decided,
    "decision.signature_failed": _fixed("tried to sign the decision, but the signature was not accepted"),
    "condition.reported_met": lambda d, n: f"reported a condition met{_reason(d, 'note')}",
    "condition.sent_back": lambda d, n: f"sent a condition back to the applicant{_reason(d)}",
    "condition.confirmed": lambda d, n: f"confirmed a condition met{_reason(d, 'text')}",
    "conditions.all_met": _fixed("confirmed every condition met: the application is approved"),
    "approval.expiry_reminder_sent": _expiry_reminded,
    "approval.expired": lambda d, n: f"marked the approval expired on {_long_date(d, 'lapsed_on')}: it was valid "
                                     f"until {_long_date(d, 'valid_until')}",
    "reminder.sent": lambda d, n: f"sent a reminder{' (overdue)' if d.get('overdue') else ''}{_due(d)}",
    "document.created": lambda d, n: f"signed and archived {_document(d)}",
    "document.retry_requested": lambda d, n: f"asked for {_document(d)} to be made again",
    "document.failed": _document_failed,
    "document.verified": _verified,
}


def sentence(event: AuditEvent, names: Names) -> str:
    """What happened, as a sentence starting with who did it."""
    who = names.get(event.actor_id or 0, SYSTEM)
    words = SENTENCES.get(event.action)
    if words is None:  # an action from elsewhere: its name in words, its stored data left out
        return f"{who}: {event.action.replace('.', ' ').replace('_', ' ')}"
    return f"{who} {words(event.data or {}, names)}"


def _autosave_key(event: AuditEvent) -> tuple[int | None, Any] | None:
    data = event.data or {}
    if event.action != "answers.saved" or not data.get("autosave"):
        return None
    return event.actor_id, data.get("section")


def _folded(run: list[AuditEvent], names: Names) -> HistoryLine:
    first, last = run[0], run[-1]
    if len(run) == 1:
        return HistoryLine(first.at, sentence(first, names))
    who = names.get(first.actor_id or 0, SYSTEM)
    section = (first.data or {}).get("section", "")
    return HistoryLine(first.at, f"{who} saved section {section} {len(run)} times", until=last.at,
                       saves=[HistoryLine(e.at, sentence(e, names)) for e in run])


def history_lines(events: Iterable[AuditEvent], names: Names) -> list[HistoryLine]:
    """The events in order as lines, consecutive autosaves by one person on one section folded into one."""
    lines: list[HistoryLine] = []
    run: list[AuditEvent] = []
    for event in events:
        key = _autosave_key(event)
        if run and key != _autosave_key(run[0]):
            lines.append(_folded(run, names))
            run = []
        if key is None:
            lines.append(HistoryLine(event.at, sentence(event, names)))
        else:
            run.append(event)
    if run:
        lines.append(_folded(run, names))
    return lines
