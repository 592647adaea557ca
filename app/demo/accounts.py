"""Demo accounts and their first applications for development (the start of `flask demo seed`).

Idempotent: accounts are matched by email and applications by title, so running it again adds nothing.
The passwords are for development only and are listed in the README.
"""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.auth.models import User, UserRole, find_user_by_email
from app.core.models import utcnow
from app.extensions import db
from app.submissions import services
from app.submissions.models import Submission, SubmissionMember

DEMO_USERS = [
    # email, name, roles, development password
    ("applicant@example.ac.uk", "Dr Amara Okafor", [], "demo-applicant-perovskite"),
    ("colleague@example.ac.uk", "Dr Tomasz Nowak", [], "demo-colleague-perovskite"),
    ("reviewer@example.ac.uk", "Prof. Helen Marsh", ["reviewer"], "demo-reviewer-crystal"),
    ("reviewer2@example.ac.uk", "Dr Rajesh Iyer", ["reviewer"], "demo-reviewer-lattice"),
    ("chair@example.ac.uk", "Prof. Sarah Lindqvist", ["chair", "reviewer"], "demo-chair-committee"),
    ("deputy@example.ac.uk", "Dr Ines Carvalho", ["deputy_chair", "reviewer"], "demo-deputy-committee"),
    ("coordinator@example.ac.uk", "Jo Whitfield", ["coordinator"], "demo-coordinator-office"),
    ("security@example.ac.uk", "Mark Adeyemi", ["security_officer"], "demo-security-trusted"),
    ("sustainability@example.ac.uk", "Dr Freya Holm", ["sustainability_reviewer"], "demo-sustainability-carbon"),
    ("steward@example.ac.uk", "Kwame Mensah", ["data_steward"], "demo-steward-fair"),
    ("admin@example.ac.uk", "Research Systems Admin", ["admin"], "demo-admin-crucible"),
]

# What the committee's demo members review (User.expertise), shown when the office assigns reviewers.
DEMO_EXPERTISE = {
    "reviewer@example.ac.uk": "Crystal structure prediction, DFT, halide perovskites",
    "reviewer2@example.ac.uk": "Graph neural networks, active learning, materials databases",
    "chair@example.ac.uk": "Research ethics, energetic materials, dual-use research of concern",
    "deputy@example.ac.uk": "Self-driving laboratories, robotics safety, data protection",
    "security@example.ac.uk": "Export control, Trusted Research, UK Strategic Export Control Lists",
    "sustainability@example.ac.uk": "Green Algorithms footprints, HPC energy use, carbon reduction plans",
    "steward@example.ac.uk": "Research data management, FAIR data, licences and data management plans",
}

# Applications submitted before version 2 of the questionnaire was released keep version 1, as rounds do.
LOW_RISK_ANSWERS = {
    "A": {"A1b": ["We train a graph neural network on public DFT data to predict band gaps of halide perovskites."],
          "A2": ["property_prediction"], "A3": ["ukri"], "A4": ["no"]},
    "B": {"B1": ["materials_project", "oqmd"], "B2": ["yes"], "B3": ["allowed"],
          "B4": ["Materials Project v2023.11.1 and OQMD v1.6, both queried on 2026-10-01."],
          "B5": ["persistent"], "B6": ["community_schema"], "B7": ["domain"], "B7a": ["NOMAD"],
          "B8": ["open_machine_readable"], "B9": ["quantified"], "B10": ["no"]},
    "C": {"C1": ["none"], "C2": ["no"], "C3": ["no"], "C4": ["no"], "C5": ["gated"], "C6": ["no"], "C7": ["no"],
          "C8": ["no"], "C9": ["no"], "C11": ["Weights shared with named collaborators only."]},
    "D": {"D1-0-name": ["Pre-training"], "D1-0-hardware": ["a100_pcie_80gb"], "D1-0-count": ["4"],
          "D1-0-hours": ["48"], "D1-0-memory_gb": ["64"], "D1-0-usage": ["1"], "D1-0-platform": ["local_server"],
          "D1-0-location": ["GB"], "D1-0-runs": ["2"],
          "D1-1-name": ["Screening campaign"], "D1-1-hardware": ["epyc_7763"], "D1-1-count": ["128"],
          "D1-1-hours": ["24"], "D1-1-memory_gb": ["256"], "D1-1-usage": ["1"], "D1-1-platform": ["local_server"],
          "D1-1-location": ["GB"], "D1-1-runs": ["4"],
          "D2": ["We fine-tune a pre-trained model."]},
    "E": {"E1": ["no"], "E2": ["no"], "E3": ["no"], "E4": ["none"],
          "E5": ["Battery and photovoltaic researchers benefit; we consulted the Royce user community."]},
    "F": {"F1": ["open_at_publication"], "F2": ["open_standard"], "F3": ["gated"], "F4": ["yes"], "F5": ["yes"],
          "F6": ["machine_readable"]},
    "G": {"G1": ["yes"], "G2": ["Amara Okafor, Tomasz Nowak"], "G3": ["2026-11-01"]},
}


def high_risk_answers() -> dict[str, dict[str, list[str]]]:
    answers = {section: dict(values) for section, values in LOW_RISK_ANSWERS.items()}
    answers["A"].update({"A2": ["generative_design"], "A3": ["ukri", "defence"], "A3a": ["Dstl (DASA call)"]})
    answers["C"].update({"C1": ["energetic"], "C2": ["yes"], "C3": ["yes"], "C5": ["none"], "C6": ["yes"],
                         "C6a": ["Self-classified under UK Military List ML8 with the export control office."],
                         "C11": ["Generated candidates are screened and never released; access is logged."]})
    return answers


# A draft begun on version 2, the version new drafts start on: its project context and data sources so far.
V2_DRAFT_ANSWERS = {
    "A": {"A1b": ["A robotic platform proposes and tests solid-electrolyte compositions chosen by a Bayesian model."],
          "A2": ["autonomous_lab"], "A3": ["ukri", "eu_programme"], "A4": ["yes"],
          "A4a": ["Partners at a Horizon Europe consortium university in the Netherlands."], "A5": ["no"],
          "A6": ["2027-02-01"], "A7": ["2030-01-31"], "A8": ["Dr Amara Okafor, Department of Materials"],
          "A9": ["no"], "A11": ["none"], "A12": ["delay"]},
    "B": {"B1": ["own_experiments", "materials_project"]},
}

DEMO_APPLICATIONS = [
    # title, answers by section, questionnaire version, submit?, withdraw?
    ("Graph networks for perovskite band gaps", LOW_RISK_ANSWERS, 1, True, False),
    ("Generative design of energetic co-crystals", high_risk_answers(), 1, True, False),
    ("Autonomous synthesis of solid electrolytes", V2_DRAFT_ANSWERS, 2, False, False),
    # Begun before version 2 was released and never submitted: its owner is offered the move to version 2.
    ("Machine-learned phase diagrams of lithium alloys", {"A": LOW_RISK_ANSWERS["A"]}, 1, False, False),
    ("Text mining of legacy alloy datasheets", LOW_RISK_ANSWERS, 1, True, True),
]


def seed() -> Iterator[str]:
    users = {}
    for email, name, roles, password in DEMO_USERS:
        user = find_user_by_email(email)
        if user is None:
            user = User(email=email, name=name, expertise=DEMO_EXPERTISE.get(email))
            user.set_password(password)
            user.role_grants = [UserRole(role=role) for role in roles]
            db.session.add(user)
            db.session.commit()
            yield f"created user {email} ({', '.join(roles) or 'applicant'})"
        users[email] = user

    owner = users["applicant@example.ac.uk"]
    for title, answers, version, submit, withdraw in DEMO_APPLICATIONS:
        exists = db.session.scalar(
            select(Submission.id).where(Submission.owner_id == owner.id, Submission.title == title))
        if exists:
            continue
        submission = services.create_submission(owner, title, questionnaire_version=version)
        db.session.add(SubmissionMember(submission_id=submission.id, email="colleague@example.ac.uk", role="editor",
                                        invited_by_id=owner.id, accepted_at=utcnow()))
        db.session.commit()
        for section_id, values in answers.items():
            form = dict(values)
            form["__present__"] = list(values)
            services.save_section(submission, section_id, form, owner, check_required=False)
        if submit:
            services.submit(submission, owner)
        if withdraw:
            services.withdraw(submission, owner, "Superseded by a larger project.")
        yield f"created application “{title}” ({submission.state})"
    yield "demo data ready"
