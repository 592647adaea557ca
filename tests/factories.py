"""Factories that create real rows through the real models, each in its own committed transaction."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from app.auth.models import User, UserRole
from app.extensions import db

DEFAULT_PASSWORD = "correct horse battery staple 42"
_counter = itertools.count(1)


@dataclass(frozen=True)
class UserRef:
    id: int
    email: str
    name: str
    password: str = DEFAULT_PASSWORD


def make_user(app, *roles: str, email: str | None = None, name: str | None = None,
              password: str = DEFAULT_PASSWORD, active: bool = True) -> UserRef:
    number = next(_counter)
    email = email or f"user{number}@example.ac.uk"
    name = name or f"Test User {number}"
    with app.app_context():
        user = User(email=email, name=name, active=active)
        user.set_password(password)
        user.role_grants = [UserRole(role=role) for role in roles if role != "applicant"]
        db.session.add(user)
        db.session.commit()
        return UserRef(user.id, email, name, password)


def login(client, user: UserRef, password: str | None = None):
    return client.post(
        "/login", data={"email": user.email, "password": password or user.password}, follow_redirects=False
    )


# A complete, low-risk application, as a browser would post each section.
LOW_RISK_ANSWERS: dict[str, dict[str, str | list[str]]] = {
    "A": {"A1": "Graph networks for perovskite band gaps",
          "A1b": "We train a graph neural network on public DFT data to predict band gaps of perovskites.",
          "A2": "property_prediction", "A3": ["ukri"], "A4": "no"},
    "B": {"B1": ["materials_project"], "B2": "yes", "B3": "allowed",
          "B4": "Materials Project database v2023.11.1, queried 2026-10-01 (doi:10.1063/1.4812323).",
          "B5": "persistent", "B6": "community_schema", "B7": "domain", "B7a": "NOMAD",
          "B8": "open_machine_readable", "B9": "quantified", "B10": "no"},
    "C": {"C1": ["none"], "C2": "no", "C3": "no", "C4": "no", "C5": "gated", "C6": "no", "C7": "no",
          "C8": "no", "C9": "no", "C11": "Weights shared with named collaborators only."},
    # One compute stage: 1 x A100 80GB, 10 h, 16 GB, PUE 1.56, GB grid, 3 runs = 14.3 kWh, 3.3 kg CO2e.
    "D": {"D1-0-name": "Fine-tuning", "D1-0-hardware": "a100_pcie_80gb", "D1-0-count": "1", "D1-0-hours": "10",
          "D1-0-memory_gb": "16", "D1-0-usage": "1", "D1-0-platform": "local_server", "D1-0-location": "GB",
          "D1-0-runs": "3", "D2": "We fine-tune a pre-trained model."},
    "E": {"E1": "no", "E2": "no", "E3": "no", "E4": ["none"],
          "E5": "Battery researchers benefit; critical-mineral supply chains are considered."},
    "F": {"F1": "open_at_publication", "F2": "open_standard", "F3": "gated", "F4": "yes", "F5": "yes",
          "F6": "machine_readable"},
    "G": {"G1": "yes", "G2": "Ada Lovelace, Alan Turing", "G3": "2026-11-01"},
}


def section_form(client, submission_id: int, section_id: str) -> dict[str, list[str]]:
    """The hidden fields the section page carries (base tokens, rendered question ids), read from the page."""
    import re

    html = client.get(f"/applications/{submission_id}/sections/{section_id}").get_data(as_text=True)
    fields: dict[str, list[str]] = {}
    for name, value, disabled in re.findall(
        r'<input type="hidden" name="(__(?:base__[A-Z0-9a-z]+|present__))" value="([^"]*)"[^>]*?( disabled)?>', html
    ):
        if not disabled:
            fields.setdefault(name, []).append(value)
    return fields


def post_section(client, submission_id: int, section_id: str, answers: dict, *, button: str = "continue",
                 base: dict | None = None):
    data = dict(base if base is not None else section_form(client, submission_id, section_id))
    data.update(answers)
    data[button] = "1"
    return client.post(f"/applications/{submission_id}/sections/{section_id}", data=data)


def create_application(client, title: str = "Graph networks for perovskite band gaps") -> int:
    response = client.post("/applications/new", data={"title": title})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def fill_application(client, submission_id: int, answers: dict | None = None) -> None:
    for section_id, section_answers in (answers or LOW_RISK_ANSWERS).items():
        response = post_section(client, submission_id, section_id, section_answers)
        assert response.status_code == 302, (section_id, response.get_data(as_text=True)[:3000])
