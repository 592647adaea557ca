"""Fill a PostgreSQL database with a realistic institution's worth of applications, fast, for `make bench`.

    .venv/bin/python bench/seed.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/crucible_bench \
        --applications 10000 --audit-events 100000 --out bench/.seed.json

The database is emptied and migrated (`flask db upgrade`), one application is made through the real routes
(so answers, rounds, risk profile and footprint are exactly what the app writes), then cloned with COPY:
applications in every state, every answer of the questionnaire (~42 per application) with varied text,
rounds, reviewer assignments, comments, decisions, and a valid audit hash chain of --audit-events events.
Writes the accounts and ids the benchmark uses to --out (JSON).
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PASSWORD = "bench-password-not-secret-42"
STATES = [("draft", 40), ("submitted", 15), ("in_review", 20), ("changes_requested", 5), ("approved", 10),
          ("approved_with_conditions", 5), ("rejected", 5)]
DEPARTMENTS = ["Materials", "Chemistry", "Physics", "Engineering", "Computer Science", None]
WORDS = [
    "perovskite", "band", "gap", "graph", "neural", "network", "density", "functional", "theory", "training",
    "data", "provenance", "licence", "ICSD", "Materials", "Project", "crystal", "structure", "zeolite", "catalyst",
    "battery", "cathode", "electrolyte", "diffusion", "model", "active", "learning", "uncertainty", "surrogate",
    "high-throughput", "screening", "synthesis", "robot", "GPU", "cluster", "carbon", "footprint", "dual", "use",
    "export", "control", "collaborator", "dataset", "weights", "open", "science", "reproducibility", "benchmark",
    "hyperparameter", "fine-tuning", "pre-trained", "embeddings", "alloy", "thermoelectric", "photovoltaic",
    "stability", "phonon",
]


def sentence(rng: random.Random, low: int = 8, high: int = 30) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def text_answer(rng: random.Random, long: bool) -> str:
    if not long:
        return sentence(rng, 3, 10).rstrip(".")
    return " ".join(sentence(rng) for _ in range(rng.randint(2, 6)))


def _copy(cursor, table: str, columns: list[str], rows) -> int:
    count = 0
    quoted = ", ".join(f'"{c}"' for c in columns)
    with cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy_:
        for row in rows:
            copy_.write_row(row)
            count += 1
    return count


def ensure_database(url: str) -> None:
    """Create the bench's own database on first use (a fresh machine has only postgres and test)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": target.database})
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--audit-events", type=int, default=100_000)
    parser.add_argument("--applicants", type=int, default=500)
    parser.add_argument("--reviewers", type=int, default=None,
                        help="reviewers sharing the assignments: by default one per 35 applications, at least 30, "
                             "so each reviewer (the benchmark's too) carries about 30 current assignments at every "
                             "size, as in an institution, and a reviewer's lists measure the same person's work "
                             "whether the institution holds 1,000 applications or 100,000")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / ".seed.json"))
    parser.add_argument("--seed", type=int, default=20261101)
    args = parser.parse_args()
    if "postgresql" not in args.database_url:
        parser.error("the bench seeds PostgreSQL (COPY); give a postgresql+psycopg:// URL")
    if args.reviewers is None:
        args.reviewers = max(30, args.applications // 35)
    return args


def _accounts(app) -> tuple[dict[str, str], dict[str, int], str]:
    """An emptied, migrated database with the named accounts: (emails and ids by role, the shared password hash).

    The named ones get a real hash; the many applicants share it (hashing is slow on purpose).
    """
    from flask_migrate import upgrade
    from sqlalchemy import text

    from app.auth.models import User, UserRole
    from app.extensions import db

    with app.app_context():
        db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.session.commit()
        upgrade()

        named = {"applicant": "bench-applicant@example.ac.uk", "reviewer": "bench-reviewer@example.ac.uk",
                 "chair": "bench-chair@example.ac.uk", "coordinator": "bench-coordinator@example.ac.uk"}
        users = {}
        for role, email in named.items():
            user = User(email=email, name=f"Bench {role.capitalize()}", department="Materials")
            user.set_password(PASSWORD)
            user.role_grants = [UserRole(role=r) for r in ({"chair": ["chair", "reviewer"]}.get(role, [role]))
                                if r != "applicant"]
            db.session.add(user)
            users[role] = user
        db.session.commit()
        return named, {role: user.id for role, user in users.items()}, users["applicant"].password_hash


def _template_application(app, applicant_email: str) -> int:
    """One application through the real routes: the template every clone copies."""
    from tests.helpers import LOW_RISK_ANSWERS, create_application, fill_application

    client = app.test_client()
    response = client.post("/login", data={"email": applicant_email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    template_id = create_application(client)
    answers = copy.deepcopy(LOW_RISK_ANSWERS)
    answers["D"].update({"D1-1-name": "Pre-training", "D1-1-hardware": "h100_sxm_80gb", "D1-1-count": "8",
                         "D1-1-hours": "48", "D1-1-memory_gb": "512", "D1-1-usage": "0.9",
                         "D1-1-platform": "cloud", "D1-1-location": "DE", "D1-1-runs": "2"})
    try:
        fill_application(client, template_id, answers)
    except AssertionError:
        fill_application(client, template_id, LOW_RISK_ANSWERS)
    assert client.post(f"/applications/{template_id}/submit").status_code == 302
    return template_id


def _read_template(app, template_id: int) -> SimpleNamespace:
    """What the clones copy from the template: its answers, the kind of each question, its round's fields."""
    from sqlalchemy import select

    from app.extensions import db
    from app.submissions.models import Answer, Round, Submission
    from app.submissions.services import questionnaire_for

    with app.app_context():
        template = db.session.get(Submission, template_id)
        questionnaire = questionnaire_for(template)
        template_round = db.session.scalar(select(Round).where(Round.submission_id == template_id))
        round_fields = {c: getattr(template_round, c) for c in
                        ("questionnaire_version_id", "risk_profile", "route", "overall_tier", "sha256", "footprint",
                         "footprint_energy_kwh", "footprint_co2e_kg", "footprint_tier", "footprint_data_version")}
        return SimpleNamespace(
            kinds={q.id: q.type for section in questionnaire.sections for q in section.questions},
            answers=[(a.question_id, a.value) for a in db.session.scalars(
                select(Answer).where(Answer.submission_id == template_id).order_by(Answer.id))],
            round_fields=round_fields,
            qv_id=template.questionnaire_version_id,
            risk_profile=template.risk_profile,
        )


@dataclass
class _People:
    ids: dict[str, int]  # the named accounts' ids by role
    applicant_ids: list[int]
    reviewer_ids: list[int]
    all_reviewers: list[int]


def _copy_users(cursor, rng: random.Random, args: argparse.Namespace, ids: dict[str, int], password_hash: str,
                now: datetime) -> _People:
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM "user"')
    next_user = cursor.fetchone()[0] + 1
    applicant_ids = list(range(next_user, next_user + args.applicants))
    reviewer_ids = list(range(applicant_ids[-1] + 1, applicant_ids[-1] + 1 + args.reviewers))
    user_rows = []
    for uid in applicant_ids + reviewer_ids:
        kind = "reviewer" if uid in reviewer_ids else "applicant"
        user_rows.append((uid, f"{kind}{uid}@bench.example.ac.uk", f"{kind.capitalize()} {uid}",
                          rng.choice(DEPARTMENTS), password_hash, True, False, now, now))
    _copy(cursor, "user", ["id", "email", "name", "department", "password_hash", "active", "mail_digest",
                           "created_at", "updated_at"], user_rows)
    cursor.execute('SELECT COALESCE(MAX(id), 0) FROM "user_role"')
    next_role = cursor.fetchone()[0] + 1
    _copy(cursor, "user_role", ["id", "user_id", "role", "granted_at"],
          [(next_role + i, uid, "reviewer", now) for i, uid in enumerate(reviewer_ids)])
    return _People(ids, applicant_ids, reviewer_ids, reviewer_ids + [ids["reviewer"], ids["chair"]])


@dataclass
class _Clones:
    """The rows of the cloned applications, and the next id of each table."""
    answer_id: int
    round_id: int
    submissions: list = field(default_factory=list)
    rounds: list = field(default_factory=list)
    answers: list = field(default_factory=list)
    assignments: list = field(default_factory=list)
    comments: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    assignment_id: int = 1
    comment_id: int = 1
    decision_id: int = 1
    special: dict = field(default_factory=dict)  # the applications the benchmark uses, for --out


def _owner_and_state(clones: _Clones, rng: random.Random, people: _People, n: int, sid: int,
                     state: str) -> tuple[int, str]:
    # The bench applicant owns 1,000 applications (~400 drafts), so that wrk's 16 connections saving in
    # turn come back to an application long after their previous save of it has finished: the bench
    # measures saves, not the optimistic lock refusing one window's save over another's.
    owner = people.ids["applicant"] if n < 1000 else rng.choice(people.applicant_ids)
    if n == 0:
        state = "draft"
        clones.special["draft_submission"] = sid
    if n == 1:
        state = "in_review"
        clones.special["review_submission"] = sid
    if state == "draft" and owner == people.ids["applicant"]:
        clones.special.setdefault("draft_submissions", []).append(sid)
    return owner, state


def _clone_answers(clones: _Clones, rng: random.Random, template: SimpleNamespace, sid: int, title: str,
                   owner: int, created: datetime, submitted: bool) -> None:
    """The template's answers, their text varied, and the round that froze them."""
    frozen = {}
    for qid, value in template.answers:
        kind = template.kinds.get(qid)
        if qid == "A1":
            value = title
        elif kind in ("text", "markdown") and isinstance(value, str):
            value = text_answer(rng, long=kind == "markdown" or len(value) > 60)
        frozen[qid] = value
        clones.answers.append((clones.answer_id, sid, qid, json.dumps(value), 1 + rng.randint(0, 3), owner, created))
        clones.answer_id += 1
    if submitted:
        round_fields = template.round_fields
        clones.rounds.append((clones.round_id, sid, 1, template.qv_id, json.dumps(frozen),
                              json.dumps(round_fields["risk_profile"]), round_fields["route"],
                              round_fields["overall_tier"], created + timedelta(days=3), owner,
                              round_fields["sha256"], json.dumps(round_fields["footprint"]),
                              round_fields["footprint_energy_kwh"], round_fields["footprint_co2e_kg"],
                              round_fields["footprint_tier"], round_fields["footprint_data_version"]))
        clones.round_id += 1


def _clone_reviews(clones: _Clones, rng: random.Random, template: SimpleNamespace, people: _People, sid: int,
                   state: str, created: datetime) -> None:
    """Two reviewers' assignments and their comments."""
    chosen = rng.sample(people.all_reviewers, 2)
    if sid == clones.special.get("review_submission"):
        chosen = [people.ids["reviewer"], rng.choice(people.reviewer_ids)]
    for reviewer in chosen:
        done = state != "in_review" or rng.random() < 0.3
        clones.assignments.append((clones.assignment_id, sid, 1, reviewer, "reviewer", people.ids["coordinator"],
                                   created, date.today() + timedelta(days=rng.randint(-5, 30)), "none",
                                   "approve" if done else None, text_answer(rng, True) if done else None,
                                   created if done else None, True))
        clones.assignment_id += 1
        for _ in range(rng.randint(0, 4) if sid != clones.special.get("review_submission") else 12):
            qid = rng.choice([q for q, _ in template.answers[:40]])
            clones.comments.append((clones.comment_id, sid, 1, qid, None, reviewer, text_answer(rng, True),
                                    rng.choice(["applicant", "committee"]), created + timedelta(days=5)))
            clones.comment_id += 1


def _clone_applications(cursor, rng: random.Random, args: argparse.Namespace, template: SimpleNamespace,
                        people: _People, now: datetime) -> tuple[int, dict]:
    """Applications in every state cloned from the template; (the first clone's id, the special applications)."""
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM submission")
    first_id = cursor.fetchone()[0] + 1
    states = [s for s, weight in STATES for _ in range(weight)]
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM answer")
    answer_id = cursor.fetchone()[0] + 1
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM round")
    clones = _Clones(answer_id=answer_id, round_id=cursor.fetchone()[0] + 1)
    round_fields = template.round_fields
    for n in range(args.applications):
        sid = first_id + n
        owner, state = _owner_and_state(clones, rng, people, n, sid, states[n % len(states)])
        created = now - timedelta(days=rng.randint(1, 900), seconds=rng.randint(0, 86400))
        submitted = state != "draft"
        reference = f"ETH-{created.year}-{sid:05d}" if submitted else None
        title = text_answer(rng, long=False)
        clones.submissions.append((
            sid, reference, title, owner, template.qv_id, state, round_fields["route"] if submitted else None, None,
            (date.today() + timedelta(days=rng.randint(-10, 40))) if state == "in_review" else None,
            round_fields["overall_tier"] if submitted else None, False,
            json.dumps(template.risk_profile) if submitted else None, 1 if submitted else 0,
            created + timedelta(days=3) if submitted else None, created, created))
        _clone_answers(clones, rng, template, sid, title, owner, created, submitted)
        if state in ("in_review", "changes_requested", "approved", "approved_with_conditions", "rejected"):
            _clone_reviews(clones, rng, template, people, sid, state, created)
        if state in ("approved", "approved_with_conditions", "rejected", "changes_requested"):
            clones.decisions.append((clones.decision_id, sid, 1,
                                     state if state != "changes_requested" else "changes_requested",
                                     text_answer(rng, True), people.ids["chair"], created + timedelta(days=20),
                                     "Bench Chair", "Decision — chair"))
            clones.decision_id += 1
            if state != "changes_requested":
                # The archive's row for the signed decision (the search lists rows; no file is read).
                digest = f"{sid:064x}"
                clones.documents.append((clones.decision_id, str(uuid.UUID(int=sid)), sid, 1, "decision", digest,
                                         40_000, f"sha256/{digest[:2]}/{digest}.pdf", "CN=Bench Institution", None,
                                         created + timedelta(days=21), people.ids["chair"]))
    _copy_clones(cursor, clones)
    return first_id, clones.special


def _copy_clones(cursor, clones: _Clones) -> None:
    _copy(cursor, "submission", ["id", "reference", "title", "owner_id", "questionnaire_version_id", "state",
                                 "route", "route_override_reason", "due_on", "overall_tier",
                                 "security_signoff_required", "risk_profile", "round_number", "submitted_at",
                                 "created_at", "updated_at"], clones.submissions)
    _copy(cursor, "answer", ["id", "submission_id", "question_id", "value", "version", "updated_by_id",
                             "updated_at"], clones.answers)
    _copy(cursor, "round", ["id", "submission_id", "number", "questionnaire_version_id", "answers",
                            "risk_profile", "route", "overall_tier", "submitted_at", "submitted_by_id", "sha256",
                            "footprint", "footprint_energy_kwh", "footprint_co2e_kg", "footprint_tier",
                            "footprint_data_version"], clones.rounds)
    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM assignment")
    offset = cursor.fetchone()[0]
    _copy(cursor, "assignment", ["id", "submission_id", "round_number", "reviewer_id", "kind", "assigned_by_id",
                                 "assigned_at", "due_on", "coi_status", "recommendation", "summary",
                                 "completed_at", "active"],
          [(row[0] + offset, *row[1:]) for row in clones.assignments])
    _copy(cursor, "comment", ["id", "submission_id", "round_number", "question_id", "parent_id", "author_id",
                              "body", "visibility", "created_at"], clones.comments)
    _copy(cursor, "decision", ["id", "submission_id", "round_number", "outcome", "summary", "decided_by_id",
                               "decided_at", "signature_name", "signature_meaning"], clones.decisions)
    _copy(cursor, "document", ["id", "uid", "submission_id", "round_number", "kind", "sha256", "size",
                               "storage_key", "signed_by", "audit_head", "created_at", "created_by_id"],
          clones.documents)


def _copy_audit_chain(cursor, rng: random.Random, args: argparse.Namespace, first_id: int, people: _People,
                      now: datetime) -> None:
    """Continue from the template's events, every hash computed as the app does."""
    from app.core.audit import compute_hash

    cursor.execute("SELECT hash, id FROM audit_event ORDER BY id DESC LIMIT 1")
    previous, last_id = cursor.fetchone() or ("0" * 64, 0)
    actions = ["answers.saved", "answers.saved", "answers.saved", "submission.submitted", "comment.added",
               "assignment.created", "user.signed_in"]

    def events():
        nonlocal previous
        start = now - timedelta(days=900)
        step = timedelta(days=899) / max(1, args.audit_events)
        for i in range(args.audit_events):
            sid = first_id + rng.randrange(args.applications)
            action = rng.choice(actions)
            event = SimpleNamespace(previous_hash=previous, at=(start + step * i).replace(microsecond=0),
                                    actor_id=rng.choice(people.applicant_ids), action=action,
                                    object_type="submission", object_id=str(sid), submission_id=sid,
                                    data={"section": rng.choice("ABCDEFG"), "questions": ["A1b"],
                                          "autosave": True} if action == "answers.saved" else {})
            event.hash = compute_hash(event)
            previous = event.hash
            yield (last_id + 1 + i, event.at, event.actor_id, event.action, event.object_type, event.object_id,
                   event.submission_id, json.dumps(event.data), event.previous_hash, event.hash)

    # Events happened before "now": renumber the template's few events after the seeded ones would break
    # their order in time, so the seeded history is appended after them with earlier-looking timestamps;
    # the chain is ordered by id, which is what verification walks.
    _copy(cursor, "audit_event", ["id", "at", "actor_id", "action", "object_type", "object_id", "submission_id",
                                  "data", "previous_hash", "hash"], events())


def _vacuum_and_count(raw) -> dict[str, int]:
    # VACUUM as well as ANALYZE: a bulk load leaves the visibility map unset until autovacuum comes round, and
    # until then every count is a heap scan (the queue's count: 2.9 ms before, 0.6 ms after, on 10,000
    # applications); a database in service is in the vacuumed state.
    raw.driver_connection.autocommit = True
    with raw.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    raw.driver_connection.autocommit = False
    with raw.cursor() as cursor:
        counts = {}
        for table in ("submission", "answer", "round", "assignment", "comment", "document", "audit_event", "user"):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    raw.commit()
    return counts


def main() -> None:
    args = _arguments()
    ensure_database(args.database_url)
    started = time.perf_counter()
    rng = random.Random(args.seed)

    import tempfile

    from app import create_app
    from app.extensions import db

    instance = tempfile.mkdtemp(prefix="crucible-bench-instance-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench-seed",
                      "INSTANCE_DIR": instance, "RATELIMIT_ENABLED": False, "ASSESSMENT_AUTO_RENDER": False,
                      "SERVER_NAME": "localhost", "TESTING": True, "WTF_CSRF_ENABLED": False})
    named, ids, password_hash = _accounts(app)
    template_id = _template_application(app, named["applicant"])
    template = _read_template(app, template_id)
    with app.app_context():
        db.session.remove()
        raw = db.engine.raw_connection()

    now = datetime.now(UTC)
    with raw.cursor() as cursor:
        people = _copy_users(cursor, rng, args, ids, password_hash, now)
        first_id, special = _clone_applications(cursor, rng, args, template, people, now)
        _copy_audit_chain(cursor, rng, args, first_id, people, now)
        for table in ("user", "user_role", "submission", "answer", "round", "assignment", "comment", "decision",
                      "document", "audit_event"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                           f"(SELECT COALESCE(MAX(id), 1) FROM \"{table}\"))")
        cursor.execute("UPDATE reference_counter SET last_number = 99999")
    raw.commit()
    with app.app_context():
        # COPY bypasses the ORM, whose flushes keep the footprint report's sums: make them from the tables.
        from app.reports.tally import rebuild

        rebuild(db.session.connection())
        db.session.commit()
    counts = _vacuum_and_count(raw)
    raw.close()
    out = {"password": PASSWORD, "users": named, "ids": ids, "template_submission": template_id,
           **special, "counts": counts}
    Path(args.out).write_text(json.dumps(out, indent=2))
    print(f"seeded in {time.perf_counter() - started:.1f}s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
