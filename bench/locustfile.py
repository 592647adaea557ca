"""Load scenario (locust): applicants filling and saving sections, reviewers commenting, a coordinator browsing.

Every answer an applicant's autosave reports as saved is written to $LOAD_SENT_FILE at the end, so
bench/load.py can compare it with the database afterwards (zero lost answers).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, events, task

SEED = json.loads(Path(os.environ["LOAD_SEED_FILE"]).read_text())
SENT: dict[str, str] = {}  # "submission_id:question_id" -> the last value the server confirmed as saved
SEQUENCE = itertools.count(1)
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASE = re.compile(r'name="__base__([A-Z0-9a-z]+)" value="([^"]*)"')
WORDS = [
    "provenance", "dataset", "licence", "DFT", "functional", "perovskite", "interatomic", "potential",
    "reproducibility", "weights", "benchmark", "export", "control", "collaborator", "energy", "carbon", "open",
    "science", "metadata", "repository",
]


def _token(html: str) -> str:
    match = TOKEN.search(html)
    if not match:
        raise RuntimeError("no CSRF token on the page")
    return match.group(1)


class Applicant(HttpUser):
    weight = 8
    wait_time = between(1, 3)

    def on_start(self) -> None:
        number = next(SEQUENCE)
        email = f"load-{os.getpid()}-{number}@example.ac.uk"
        html = self.client.get("/register").text
        self.client.post("/register", data={"csrf_token": _token(html), "name": f"Load Applicant {number}",
                                            "email": email, "password": "cobalt harbour violet 7391",
                                            "confirm": "cobalt harbour violet 7391"}, name="/register")
        html = self.client.get("/applications/new").text
        response = self.client.post("/applications/new", data={"csrf_token": _token(html),
                                                               "title": f"Load-test project {number}"},
                                    allow_redirects=False, name="/applications/new")
        self.submission_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        self._load_section()

    def _load_section(self) -> None:
        html = self.client.get(f"/applications/{self.submission_id}/sections/A",
                               name="/applications/[id]/sections/A").text
        self.csrf = _token(html)
        self.bases = dict(BASE.findall(html))

    @task(5)
    def autosave(self) -> None:
        value = " ".join(random.choices(WORDS, k=random.randint(5, 40))) + f" #{next(SEQUENCE)}"
        data = {"csrf_token": self.csrf, "A1b": value, "__base__A1b": self.bases.get("A1b", "0:")}
        with self.client.post(f"/applications/{self.submission_id}/sections/A/autosave", data=data,
                              name="/applications/[id]/sections/A/autosave", catch_response=True) as response:
            if response.status_code == 200 and response.json().get("status") == "saved":
                self.bases.update(response.json().get("bases", {}))
                SENT[f"{self.submission_id}:A1b"] = value
                response.success()
            else:
                response.failure(f"autosave answered {response.status_code}")

    @task(2)
    def section_page(self) -> None:
        section = random.choice("BCDEFG")
        self.client.get(f"/applications/{self.submission_id}/sections/{section}",
                        name="/applications/[id]/sections/[section]")

    @task(1)
    def dashboard(self) -> None:
        self.client.get("/", name="/ (dashboard)")


class _SignedIn(HttpUser):
    abstract = True
    role = ""

    def on_start(self) -> None:
        html = self.client.get("/login").text
        self.client.post("/login", data={"csrf_token": _token(html), "email": SEED["users"][self.role],
                                         "password": SEED["password"]}, name="/login")


class Reviewer(_SignedIn):
    weight = 2
    wait_time = between(2, 5)
    role = "reviewer"

    @task(4)
    def review_page(self) -> None:
        html = self.client.get(f"/review/applications/{SEED['review_submission']}",
                               name="/review/applications/[id]").text
        self.csrf = _token(html)

    @task(1)
    def comment(self) -> None:
        if not hasattr(self, "csrf"):
            self.review_page()
        self.client.post(f"/review/applications/{SEED['review_submission']}/comments",
                         data={"csrf_token": self.csrf, "body": "Please add the dataset DOI.", "question_id": "B2",
                               "visibility": "committee"}, name="/review/applications/[id]/comments")


class Coordinator(_SignedIn):
    weight = 1
    wait_time = between(2, 5)
    role = "coordinator"

    @task(4)
    def queue(self) -> None:
        self.client.get("/review/queue?" + random.choice(["", "state=triage", "tier=High", "sort=due",
                                                          "search=ETH", "page=2"]), name="/review/queue")

    @task(1)
    def reports(self) -> None:
        self.client.get("/reports/footprint", name="/reports/footprint")


@events.test_stop.add_listener
def _write_sent(**_kwargs) -> None:
    with open(os.environ["LOAD_SENT_FILE"], "w") as out:
        json.dump(SENT, out)
