"""Moving a draft from one questionnaire version to the next, by a mapping file beside the newer version
(questionnaires/<key>/v<N>-to-v<M>.yaml).

The file lists the questions whose meaning changed (`changed`: shown again for re-answering, with why) and
those the newer version no longer asks (`dropped`). Every other question of the older version must be in the
newer one with the same type, label and options: its answer carries over as it is. `questionnaire validate`
checks exactly that, so a question changed but not listed is caught before any draft moves. Nothing typed is
lost: a changed answer is kept as the field's input until it is saved again, and a dropped one stays stored
with the draft, where the applicant sees it with why (check your answers, and the section it was in). A changed
answer the new field cannot show as its input (free text that became a table of records) is also kept under
`earlier_answer_id`, so the page shows it beside the new field however often the applicant saves while
re-answering.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.questionnaires.schema import RECORDS_TYPE, Question, Questionnaire


class VersionMap(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    from_version: int = Field(ge=1)
    to_version: int = Field(ge=2)
    # Question id -> why its answer must be looked at again (shown to the applicant).
    changed: dict[str, str] = {}
    # Question id -> why the newer version no longer asks it.
    dropped: dict[str, str] = {}


def _same_question(old: Question, new: Question) -> list[str]:
    differences = []
    if old.type != new.type:
        differences.append(f"type {old.type} -> {new.type}")
    if old.label != new.label:
        differences.append("label")
    if [(o.value, o.label) for o in old.options] != [(o.value, o.label) for o in new.options]:
        differences.append("options")
    return differences


def mapping_errors(mapping: VersionMap, old: Questionnaire, new: Questionnaire) -> list[str]:
    """Every way the mapping fails to account for the differences between the two versions."""
    errors = []
    if (old.version, new.version) != (mapping.from_version, mapping.to_version):
        errors.append(f"from_version/to_version: the mapping is for v{mapping.from_version} -> "
                      f"v{mapping.to_version}, not v{old.version} -> v{new.version}")
    for qid in mapping.changed:
        if not old.has_question(qid) or not new.has_question(qid):
            errors.append(f"changed.{qid}: a changed question must be in both versions")
    for qid in mapping.dropped:
        if not old.has_question(qid):
            errors.append(f"dropped.{qid}: not a question of v{old.version}")
        elif new.has_question(qid):
            errors.append(f"dropped.{qid}: v{new.version} still asks it; list it under changed, or drop it")
    for question in old.questions:
        qid = question.id
        if qid in mapping.changed or qid in mapping.dropped:
            continue
        if not new.has_question(qid):
            errors.append(f"{qid}: not in v{new.version}; list it under dropped")
            continue
        differences = _same_question(question, new.question(qid))
        if differences:
            errors.append(f"{qid}: {', '.join(differences)} differ in v{new.version}; list it under changed")
    return errors


@dataclass
class MovePlan:
    """What moving a draft does to each stored answer."""

    carried: dict[str, Any] = field(default_factory=dict)
    # Question id -> (the old answer, why it must be looked at again).
    reanswer: dict[str, tuple[Any, str]] = field(default_factory=dict)
    # Answers to questions the newer version does not ask: kept with the draft, shown apart, not submitted.
    dropped: dict[str, Any] = field(default_factory=dict)


def plan_move(mapping: VersionMap, answers: Mapping[str, Any]) -> MovePlan:
    plan = MovePlan()
    for qid, value in answers.items():
        if qid in mapping.dropped:
            plan.dropped[qid] = value
        elif qid in mapping.changed:
            plan.reanswer[qid] = (value, mapping.changed[qid])
        else:
            plan.carried[qid] = value
    return plan


def earlier_answer_id(question_id: str, version: int) -> str:
    """The id a changed answer is kept under for reference, e.g. G2@v1: no questionnaire asks it, so it is stored
    with the draft like a dropped answer and never frozen into a round."""
    return f"{question_id}@v{version}"


def keeps_earlier_answer(new: Question, kept: Any) -> bool:
    """Whether a changed question's earlier answer is kept for reference: a table that cannot show it as rows."""
    return new.type == RECORDS_TYPE and not isinstance(kept, list)


def earlier_answer(question_id: str, answers: Mapping[str, Any]) -> tuple[int, Any] | None:
    """(version, answer) of the question's answer kept from an earlier version, newest first; None without one."""
    prefix = f"{question_id}@v"
    kept = [(int(key.removeprefix(prefix)), value) for key, value in answers.items()
            if key.startswith(prefix) and key.removeprefix(prefix).isdigit()]
    return max(kept, key=lambda pair: pair[0]) if kept else None
