"""A draft begun on questionnaire version 1 moves to version 2 from its task list, by keyboard: answers to unchanged
questions carry over, the changed ones (questionnaires/<key>/v1-to-v2.yaml) ask to be answered again with the
reason and the old answer in view, the dropped ones stay in view with why; answering a changed question again
completes its section. Which questions changed or were dropped is read from the mapping, not written here."""
from __future__ import annotations

import json
import re
import sys

from playwright.sync_api import expect

from app.questionnaires.answers import answer_view, parse_value
from app.questionnaires.loader import get_mapping, get_questionnaire
from tests.e2e.conftest import STAFF, _run, _server_env
from tests.e2e.helpers import answer
from tests.helpers import V1_LOW_RISK_ANSWERS

KEY = "ml-materials-ethics"

# The suite's low-risk version 1 application (tests/helpers.py), with C3 answered "yes" so that a dropped answer
# worth keeping is there to look for.
V1_ANSWERS = {**V1_LOW_RISK_ANSWERS, "C": {**V1_LOW_RISK_ANSWERS["C"], "C3": "yes"}}

# The draft is made in the server's database on version 1 whatever version new drafts start on, through the
# same service the section pages save with.
_V1_DRAFT_SCRIPT = """
import json, sys
from app import create_app
from app.auth.models import find_user_by_email
from app.submissions import services

app = create_app()
with app.app_context():
    owner = find_user_by_email(sys.argv[2])
    submission = services.create_submission(owner, sys.argv[1], questionnaire_version=1)
    for section_id, values in json.loads(sys.argv[3]).items():
        result = services.save_section(submission, section_id, {**values, "__present__": list(values)}, owner,
                                       check_required=False)
        if result.errors or result.conflicts:
            sys.exit(f"section {section_id}: {result.errors or result.conflicts}")
    print(submission.id)
"""


def _v1_draft(server, title: str) -> int:
    result = _run([sys.executable, "-c", _V1_DRAFT_SCRIPT, title, STAFF["applicant2"][0], json.dumps(V1_ANSWERS)],
                  _server_env(server["instance"]))
    return int(result.stdout.strip().splitlines()[-1])


def _shown(asked, shown, raw, *, as_typed: bool = True) -> str:
    """The text a page shows with question `shown` for the answer posted as `raw` to question `asked`."""
    return str(answer_view(shown, parse_value(asked, raw), as_typed=as_typed)["text"])


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_a_v1_draft_moves_to_v2_by_keyboard_and_keeps_what_was_typed(people, server):
    v1, v2, mapping = get_questionnaire(KEY, 1), get_questionnaire(KEY, 2), get_mapping(KEY, 1, 2)
    # Each question's answer as posted (section D's stage fields are posted under names of their own).
    posted = {qid: raw for values in V1_ANSWERS.values() for qid, raw in values.items() if v1.has_question(qid)}
    changed = [qid for qid in posted if qid in mapping.changed]
    dropped = [qid for qid in posted if qid in mapping.dropped]
    unchanged = [qid for qid in posted if qid not in mapping.changed and qid not in mapping.dropped]
    assert changed and dropped and unchanged, "the journey needs answers of each kind"

    submission_id = _v1_draft(server, "Moving a draft to version 2")
    owner = people("owner")
    owner.login(STAFF["applicant2"][0])
    page = owner.page
    owner.visit(f"/applications/{submission_id}", "task-list-on-v1")
    expect(page.get_by_role("status").filter(has_text="version 2 is out")).to_be_visible()

    # By keyboard: Tab from the top of the page to the button, then Enter.
    move = page.get_by_role("button", name="Move this draft to version 2")
    for _ in range(40):
        page.keyboard.press("Tab")
        if move.evaluate("el => el === document.activeElement"):
            break
    expect(move).to_be_focused()
    page.keyboard.press("Enter")
    moved = page.get_by_role("status").filter(has_text="Moved to questionnaire version 2")
    expect(moved).to_contain_text(", ".join(sorted(changed)))
    expect(moved).to_contain_text(f"no longer asks {', '.join(sorted(dropped))}")
    expect(page.get_by_role("button", name="Move this draft to version 2")).to_have_count(0)
    for section_id in {v2.section_of(qid).id for qid in changed}:
        expect(page.locator(f"#status-{section_id}")).to_have_text("Needs attention")
    owner.check("task-list-moved")

    owner.visit(f"/applications/{submission_id}/check", "check-answers-moved")
    expect(page.get_by_text("version 2", exact=False).first).to_be_visible()
    problems = page.get_by_role("alert").filter(has_text="before you can submit")
    for qid in unchanged:  # carried over as they were, nothing to look at again
        expect(page.locator(f"#answer-{qid} + dd")).to_contain_text(_shown(v1.question(qid), v2.question(qid),
                                                                           posted[qid]))
        expect(problems).not_to_contain_text(f"{qid}: ")
    for qid in changed:  # the reason, and the old answer still in view
        reason = f"Changed in version 2: {_flat(mapping.changed[qid])}"[:300]
        expect(problems).to_contain_text(f"{qid}: {reason}")
        row = page.locator(f"#answer-{qid} + dd")
        expect(row).to_contain_text(reason)
        expect(row).to_contain_text(_shown(v1.question(qid), v2.question(qid), posted[qid]))
    for qid in dropped:  # not asked any more, kept and shown with why
        row = page.locator(f"#dropped-{qid} + dd")
        expect(page.locator(f"#dropped-{qid}")).to_contain_text(v1.question(qid).label)
        expect(row).to_contain_text(_shown(v1.question(qid), v1.question(qid), posted[qid], as_typed=False))
        expect(row).to_contain_text(_flat(mapping.dropped[qid]))

    # A section whose only open question is one changed question: answering it again completes the section.
    listed = [re.match(r"\s*(\w+):", text).group(1) for text in problems.get_by_role("listitem").all_inner_texts()]
    open_in = {}
    for qid in listed:
        open_in.setdefault(v2.section_of(qid).id, []).append(qid)
    section_id, (qid,) = next(((s, qids) for s, qids in open_in.items() if len(qids) == 1 and qids[0] in changed),
                              (None, (None,)))
    assert section_id, f"no section whose only open question is a changed one: {open_in}"
    page.get_by_role("link", name=re.compile(rf"^Change\s+{qid}\. ")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(v2.section(section_id).title)
    owner.check("section-to-answer-again")
    field = page.locator(f"#q-{qid}")
    expect(field).to_contain_text(f"Changed in version 2: {_flat(mapping.changed[qid])}"[:300])
    raw = posted[qid]
    control = field.locator(f'[name="{qid}"]:not([type="hidden"])').first
    if control.get_attribute("type") in ("checkbox", "radio"):
        for value in raw if isinstance(raw, list) else [raw]:
            expect(field.locator(f'[name="{qid}"][value="{value}"]')).to_be_checked()
    else:
        expect(control).to_have_value(str(raw))
    answer(page, {qid: raw})
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("status").filter(has_text=f"Section {section_id} saved.")).to_be_visible()

    owner.visit(f"/applications/{submission_id}", "task-list-section-answered-again")
    expect(page.locator(f"#status-{section_id}")).to_have_text("Completed")
