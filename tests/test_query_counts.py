"""The number of SQL statements a page runs does not grow with the number of rows it shows (no N+1).

Each page is loaded with few and with many rows behind it (10 and 100 applications, assignments or comments);
statements are counted with a `before_cursor_execute` listener on the app's engine.
"""
from __future__ import annotations

import copy
import functools
import itertools
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select

from app.core.models import utcnow
from app.extensions import db
from app.reviews.models import Assignment, Comment
from app.submissions.models import Answer, Round, Submission, SubmissionMember
from tests.helpers import LOW_RISK_ANSWERS, create_application, fill_application, login, make_user, person

FEW, MANY = 10, 100
_references = itertools.count(1)


@contextmanager
def count_statements(app):
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _template_submission(app, make_client):
    """One application filled and submitted through the real routes, to be cloned."""
    owner = make_user(app, name="Dr Query Count")
    client = make_client()
    login(client, owner)
    submission_id = create_application(client)
    fill_application(client, submission_id, LOW_RISK_ANSWERS)
    assert client.post(f"/applications/{submission_id}/submit").status_code == 302
    return owner, client, submission_id


def _clone(app, template_id: int, count: int, *, owner_id: int, state: str = "submitted",
           member_email: str | None = None) -> list[int]:
    """`count` copies of a submitted application (submission, round, answers), made directly with the models."""
    with app.app_context():
        template = db.session.get(Submission, template_id)
        round_ = db.session.scalar(select(Round).where(Round.submission_id == template_id))
        answers = db.session.scalars(select(Answer).where(Answer.submission_id == template_id)).all()
        ids = []
        for number in range(count):
            clone = Submission(
                reference=f"ETH-2099-{next(_references):05d}", title=f"{template.title} {number}",
                owner_id=owner_id, questionnaire_version_id=template.questionnaire_version_id, state=state,
                route=template.route, overall_tier=template.overall_tier,
                risk_profile=copy.deepcopy(template.risk_profile), round_number=1,
                submitted_at=utcnow() - timedelta(hours=number), due_on=date.today() + timedelta(days=number % 20),
                security_signoff_required=template.security_signoff_required,
            )
            db.session.add(clone)
            db.session.flush()
            db.session.add(Round(submission_id=clone.id, number=1,
                                 questionnaire_version_id=round_.questionnaire_version_id,
                                 answers=copy.deepcopy(round_.answers), risk_profile=copy.deepcopy(round_.risk_profile),
                                 route=round_.route, overall_tier=round_.overall_tier, sha256=round_.sha256,
                                 footprint=copy.deepcopy(round_.footprint), submitted_by_id=owner_id))
            db.session.add_all([Answer(submission_id=clone.id, question_id=a.question_id, value=a.value, version=1,
                                       updated_by_id=owner_id) for a in answers])
            if member_email:
                db.session.add(SubmissionMember(submission_id=clone.id, email=member_email, role="editor",
                                                accepted_at=utcnow()))
            ids.append(clone.id)
        db.session.commit()
        return ids


def _counts(app, get, rows_for):
    """Statements run by `get()` after `rows_for(FEW)` and after `rows_for(MANY)`."""
    result = {}
    for size in (FEW, MANY):
        rows_for(size)
        get()  # warm caches (questionnaire files, compiled statements) so only the page's own queries count
        with count_statements(app) as statements:
            response = get()
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        result[size] = len(statements)
    return result


def _assert_flat(counts):
    assert counts[MANY] <= counts[FEW], f"statements grow with rows: {counts[FEW]} for {FEW}, {counts[MANY]} for {MANY}"


def test_dashboard(app, make_client):
    owner, client, template_id = _template_submission(app, make_client)
    colleague = make_user(app, name="Colleague")
    done = {"n": 1}

    def rows_for(size):
        # Half owned, half shared with the owner as an editor (access level is worked out per row).
        extra = size - done["n"]
        _clone(app, template_id, extra // 2, owner_id=owner.id, state="draft")
        _clone(app, template_id, extra - extra // 2, owner_id=colleague.id, state="in_review",
               member_email=owner.email)
        done["n"] = size

    counts = _counts(app, lambda: client.get("/"), rows_for)
    _assert_flat(counts)


def test_coordinator_queue(app, make_client):
    owner, _, template_id = _template_submission(app, make_client)
    client = person(app, make_client, "coordinator").client
    done = {"n": 1}

    def rows_for(size):
        _clone(app, template_id, size - done["n"], owner_id=owner.id)
        done["n"] = size

    for url in ("/review/queue", "/review/queue?per_page=100&sort=tier", "/review/queue?state=triage&sort=due",
                "/review/queue?flag=overdue", "/review/queue.csv", "/review/queue.csv?flag=recusal&sort=title"):
        counts = _counts(app, functools.partial(client.get, url, buffered=True), rows_for)
        _assert_flat(counts)
        done["n"] = MANY  # the next URL sees MANY twice; still compared like for like


def test_reviewer_list(app, make_client):
    owner, _, template_id = _template_submission(app, make_client)
    reviewer = person(app, make_client, "reviewer")
    client = reviewer.client
    done = {"n": 0}

    def rows_for(size):
        ids = _clone(app, template_id, size - done["n"], owner_id=owner.id, state="in_review")
        with app.app_context():
            db.session.add_all([Assignment(submission_id=i, round_number=1, reviewer_id=reviewer.user.id,
                                           kind="reviewer", coi_status="none" if i % 2 else "pending",
                                           due_on=date.today())
                                for i in ids])
            db.session.commit()
        done["n"] = size

    _assert_flat(_counts(app, lambda: client.get("/review/mine"), rows_for))


def test_footprint_report(app, make_client):
    owner, _, template_id = _template_submission(app, make_client)
    client = person(app, make_client, "coordinator").client
    done = {"n": 1}

    def rows_for(size):
        _clone(app, template_id, size - done["n"], owner_id=owner.id, state="approved")
        done["n"] = size

    _assert_flat(_counts(app, lambda: client.get("/reports/footprint"), rows_for))


def test_review_page(app, make_client):
    owner, _, template_id = _template_submission(app, make_client)
    chair = person(app, make_client, "chair", "reviewer")
    with app.app_context():
        submission = db.session.get(Submission, template_id)
        submission.state = "in_review"
        db.session.add(Assignment(submission_id=template_id, round_number=submission.round_number,
                                  reviewer_id=chair.user.id, kind="reviewer", coi_status="none"))
        db.session.commit()
        question_ids = list(LOW_RISK_ANSWERS["B"]) + list(LOW_RISK_ANSWERS["C"])
    client = chair.client
    done = {"n": 0}

    def rows_for(size):
        # Each comment by a different reviewer, every third one a reply, on different questions.
        authors = [make_user(app, "reviewer") for _ in range(size - done["n"])]
        with app.app_context():
            parent = None
            for offset, author in enumerate(authors):
                number = done["n"] + offset
                comment = Comment(submission_id=template_id, round_number=1,
                                  question_id=question_ids[number % len(question_ids)],
                                  author_id=author.id, body=f"Comment {number}: please say more about **this**.",
                                  visibility="committee" if number % 2 else "applicant",
                                  parent_id=parent.id if parent is not None and number % 3 == 2 else None)
                db.session.add(comment)
                db.session.flush()
                if comment.parent_id is None:
                    parent = comment
                db.session.add(Assignment(submission_id=template_id, round_number=1, reviewer_id=author.id,
                                          kind="reviewer", coi_status="none",
                                          recommendation="approve" if number % 2 else None))
            db.session.commit()
        done["n"] = size

    _assert_flat(_counts(app, lambda: client.get(f"/review/applications/{template_id}"), rows_for))


@pytest.mark.parametrize("size", [FEW])
def test_counting_sees_the_pages_queries(app, make_client, size):
    """Guard for the tests above: the listener does see the statements a page runs."""
    owner, client, _ = _template_submission(app, make_client)
    with count_statements(app) as statements:
        assert client.get("/").status_code == 200
    assert any("submission" in s for s in statements)


def test_chair_list(app, make_client):
    owner, _, template_id = _template_submission(app, make_client)
    chair = person(app, make_client, "chair", "reviewer")
    reviewer = make_user(app, "reviewer")
    done = {"n": 0}

    def rows_for(size):
        ids = _clone(app, template_id, size - done["n"], owner_id=owner.id, state="in_review")
        with app.app_context():
            db.session.add_all([Assignment(submission_id=i, round_number=1, reviewer_id=reviewer.id, kind="reviewer",
                                           coi_status="none", recommendation="approve" if i % 2 else None)
                                for i in ids])
            db.session.commit()
        done["n"] = size

    _assert_flat(_counts(app, lambda: chair.client.get("/review/chair"), rows_for))


def test_archive_search(app, make_client):
    from tests.test_long_lists import _documents

    owner, _, template_id = _template_submission(app, make_client)
    client = person(app, make_client, "coordinator").client
    done = {"n": 0}

    def rows_for(size):
        _documents(app, _clone(app, template_id, size - done["n"], owner_id=owner.id, state="approved"))
        done["n"] = size

    for url in ("/archive", "/archive?outcome=approved&title=a"):
        _assert_flat(_counts(app, lambda url=url: client.get(url), rows_for))
        done["n"] = MANY


def test_triage_page(app, make_client):
    """The people offered at triage, each with their roles and open reviews, in a constant number of statements."""
    owner, _, template_id = _template_submission(app, make_client)
    client = person(app, make_client, "coordinator").client
    done = {"n": 0}

    def rows_for(size):
        # Each new reviewer (every third also a chair) carries one open review of another application.
        reviewers = [make_user(app, "reviewer", *(("chair",) if n % 3 == 0 else ()))
                     for n in range(size - done["n"])]
        ids = _clone(app, template_id, len(reviewers), owner_id=owner.id, state="in_review")
        with app.app_context():
            db.session.add_all([Assignment(submission_id=i, round_number=1, reviewer_id=r.id, kind="reviewer",
                                           coi_status="none", due_on=date.today())
                                for i, r in zip(ids, reviewers, strict=True)])
            db.session.commit()
        done["n"] = size

    _assert_flat(_counts(app, lambda: client.get(f"/review/applications/{template_id}/triage"), rows_for))
