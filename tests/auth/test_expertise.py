"""Areas of expertise: each person keeps their own on the account page, an administrator can set anyone's, and
every change is on the audit trail."""
from __future__ import annotations

from sqlalchemy import select

from app.auth.models import User
from app.extensions import db
from tests.helpers import audit_events, make_user, page_text


def _expertise(app, user_id: int) -> str | None:
    with app.app_context():
        return db.session.scalar(select(User.expertise).where(User.id == user_id))


def test_a_person_sets_their_own_areas_of_expertise(app, login_as):
    me = login_as("reviewer")
    html = me.client.get("/account").get_data(as_text=True)
    assert '<label class="form-label fw-semibold" for="expertise">Areas of expertise</label>' in html
    assert 'aria-describedby="expertise-hint"' in html

    saved = me.client.post("/account/expertise", data={"expertise": "  DFT,\n  graph neural networks  "})
    assert saved.status_code == 302 and saved.location == "/account#expertise-heading"
    assert _expertise(app, me.user.id) == "DFT, graph neural networks"
    page = me.client.get("/account")
    assert "Your areas of expertise have been saved." in page_text(page)
    assert "DFT, graph neural networks</textarea>" in page.get_data(as_text=True)
    [event] = audit_events(app, "user.expertise_changed")
    assert event["actor_id"] == me.user.id and event["object_id"] == str(me.user.id)
    assert event["data"] == {"before": None, "after": "DFT, graph neural networks"}

    # The same again changes nothing; an empty field clears them.
    me.client.post("/account/expertise", data={"expertise": "DFT, graph neural networks"})
    assert len(audit_events(app, "user.expertise_changed")) == 1
    me.client.post("/account/expertise", data={"expertise": "   "})
    assert _expertise(app, me.user.id) is None


def test_too_long_is_refused_with_the_reason_beside_the_field(app, login_as):
    me = login_as()
    refused = me.client.post("/account/expertise", data={"expertise": "x" * 501})
    assert refused.status_code == 422
    assert "There is a problem" in page_text(refused) and "Enter 500 characters or fewer" in page_text(refused)
    assert 'href="#expertise"' in refused.get_data(as_text=True)
    assert _expertise(app, me.user.id) is None


def test_text_is_shown_as_text(app, login_as):
    me = login_as("reviewer")
    me.client.post("/account/expertise", data={"expertise": "<script>alert(1)</script> catalysis"})
    html = me.client.get("/account").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; catalysis" in html


def test_an_administrator_sets_anyones_expertise(app, login_as):
    admin = login_as("admin")
    target = make_user(app, "reviewer")
    page = admin.client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert 'for="expertise">Areas of expertise</label>' in page
    response = admin.client.post(f"/admin/users/{target.id}", data={
        "role_reviewer": "y", "active": "y", "expertise": "Export control, dual use"})
    assert response.status_code == 302
    assert _expertise(app, target.id) == "Export control, dual use"
    [event] = audit_events(app, "user.expertise_changed")
    assert event["actor_id"] == admin.user.id and event["object_id"] == str(target.id)
    assert "Saved the changes" in page_text(admin.client.get(response.location))
    assert "Export control, dual use</textarea>" in admin.client.get(f"/admin/users/{target.id}").get_data(
        as_text=True)
    # A post without the field (roles only) leaves the expertise as it was.
    admin.client.post(f"/admin/users/{target.id}", data={"role_reviewer": "y", "role_chair": "y", "active": "y"})
    assert _expertise(app, target.id) == "Export control, dual use"
