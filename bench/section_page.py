"""Section page and autosave against their floors, measured in the same run (prints ratios, asserts nothing).

Floor for the page: the one query its data needs (the application's answers) rendered with a plain template.
Floor for the save: the same answer rows updated with one plain UPDATE each and committed.
Run: .venv/bin/python bench/section_page.py [--rounds N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from jinja2 import Template
from sqlalchemy import select, update

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402 - importable after the sys.path entry above
from app.extensions import db  # noqa: E402 - importable after the sys.path entry above
from app.submissions.models import Answer  # noqa: E402 - importable after the sys.path entry above
from tests.conftest import CrucibleClient  # noqa: E402 - importable after the sys.path entry above
from tests.helpers import (  # noqa: E402 - importable after the sys.path entry above
    create_application,
    fill_application,
    login,
    make_user,
    section_form,
)

FLOOR_TEMPLATE = Template("<ul>{% for a in answers %}<li>{{ a.question_id }}: {{ a.value }}</li>{% endfor %}</ul>")


def timed(function, rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="crucible-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}", "SECRET_KEY": "bench",
                      "INSTANCE_DIR": str(workdir), "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                      "SERVER_NAME": "localhost"})
    app.test_client_class = CrucibleClient
    with app.app_context():
        db.create_all()
    client = app.test_client()
    login(client, make_user(app))
    submission_id = create_application(client)
    fill_application(client, submission_id)
    url = f"/applications/{submission_id}/sections/B"

    def floor_page():
        with app.app_context():
            answers = db.session.scalars(select(Answer).where(Answer.submission_id == submission_id)).all()
            FLOOR_TEMPLATE.render(answers=answers)

    def real_page():
        assert client.get(url).status_code == 200

    counter = iter(range(10**9))

    def floor_save():
        with app.app_context():
            db.session.execute(update(Answer).where(Answer.submission_id == submission_id,
                                                    Answer.question_id == "B4").values(value=f"v{next(counter)}"))
            db.session.commit()

    base = section_form(client, submission_id, "B")

    def real_save():
        data = dict(base, B4=f"Provenance note {next(counter)}")
        response = client.post(f"{url}/autosave", data=data)
        assert response.status_code == 200, response.get_data(as_text=True)[:200]
        base.update({f"__base__{k}": v for k, v in response.get_json()["bases"].items()})

    results = {}
    for name, function in [("floor page", floor_page), ("section page", real_page),
                           ("floor save", floor_save), ("autosave", real_save)]:
        timed(function, 10)  # warm-up
        results[name] = statistics.median(timed(function, args.rounds))
    print(f"rounds: {args.rounds} (median seconds per call, SQLite, in-process test client)")
    for name, seconds in results.items():
        print(f"  {name:14s} {seconds * 1000:8.2f} ms")
    print(f"section page / floor: {results['section page'] / results['floor page']:.1f}x the floor's time")
    print(f"autosave / floor:     {results['autosave'] / results['floor save']:.1f}x the floor's time")


if __name__ == "__main__":
    main()
