"""The committee's comments released to the team, as the applicant's pages show them while revising: the task
list counts the open ones per section, the section page draws each thread under its question.

Reviews owns comments and registers its reader when the application is created (create_app), because
submissions imports no feature above it (ARCHITECTURE.md, "The import rule"). The reader answers with one
statement however many comments there are.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.questionnaires.schema import Questionnaire
from app.submissions import workflow
from app.submissions.models import Submission

# Question id (None: the whole application) -> its threads released to the team, each with .root and .replies.
Threads = Mapping[str | None, Sequence[Any]]
Reader = Callable[[Submission], Threads]
_readers: list[Reader] = []


def register(reader: Reader) -> None:
    _readers[:] = [reader]


def while_revising(submission: Submission) -> Threads:
    """The threads to answer, while the committee waits for a revision; none in any other state."""
    if submission.state != workflow.State.CHANGES_REQUESTED:
        return {}
    if not _readers:
        raise LookupError("no reader of comments registered: create_app() registers it")
    return _readers[0](submission)


def open_per_section(questionnaire: Questionnaire, threads: Threads) -> dict[str, int]:
    """Section id -> the threads on its questions the reviewers have not yet marked resolved."""
    return {
        section.id: sum(1 for question in section.questions for thread in threads.get(question.id, ())
                        if thread.root.resolved_at is None)
        for section in questionnaire.sections
    }
