"""A person changes their own name and department on the account page, and their email address by a link mailed
to the new address (the old one is told); an administrator changes all three on the user's page. Every change is
audited."""
from __future__ import annotations

import re

from tests.helpers import UserRef, audit_events, link_in, login, mails, make_user, page_text, user_row


def test_name_and_department_are_changed_on_the_account_page(app, login_as):
    me = login_as()
    response = me.client.post("/account/details", data={"name": "  Dr   Li Wei ", "department": "Materials"})
    assert response.status_code == 302
    assert (user_row(app, me.user.email)["name"], user_row(app, me.user.email)["department"]) == (
        "Dr Li Wei", "Materials")
    [event] = audit_events(app, "user.details_changed")
    assert event["data"]["after"] == {"name": "Dr Li Wei", "department": "Materials"}
    refused = me.client.post("/account/details", data={"name": " ", "department": "Chemistry"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Enter a full name" in html and "There is a problem" in html and 'value="Chemistry"' in html
    assert user_row(app, me.user.email)["department"] == "Materials"


def test_a_new_email_address_takes_effect_only_from_the_link_sent_to_it(app, login_as, make_client):
    me = login_as()
    old = me.user.email
    assert me.client.post("/account/email", data={"email": "Li.Wei@Example.ac.uk"}).status_code == 302
    assert user_row(app, old) is not None  # nothing changed yet
    [told] = [m for m in mails(app, old) if "requested" in m["subject"]]
    assert "li.wei@example.ac.uk" in told["body"]
    [confirm] = mails(app, "li.wei@example.ac.uk")
    link = link_in(confirm["body"], "/account/email/confirm/")
    # Opening the link asks first (a mail scanner following it changes nothing); the button makes the change.
    visitor = make_client()
    assert "li.wei@example.ac.uk" in page_text(visitor.get(link))
    assert user_row(app, old) is not None
    assert visitor.post(link).status_code == 302
    assert user_row(app, old) is None and user_row(app, "li.wei@example.ac.uk") is not None
    assert any("was changed" in m["subject"] for m in mails(app, old))
    [event] = audit_events(app, "user.email_changed")
    assert (event["data"]["before"], event["data"]["after"]) == (old, "li.wei@example.ac.uk")
    # The link works once.
    assert visitor.post(link).status_code == 400


def test_an_address_another_account_uses_is_refused_beside_the_field(app, login_as):
    other = make_user(app)
    me = login_as()
    refused = me.client.post("/account/email", data={"email": other.email.upper()})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'id="email-error"[^>]*>.*Another account uses this email address', html, re.S)
    assert f'value="{other.email.upper()}"' in html
    assert mails(app, other.email) == [] and audit_events(app, "user.email_change_requested") == []


def test_a_link_for_an_address_taken_meanwhile_changes_nothing(app, login_as, make_client):
    me = login_as()
    assert me.client.post("/account/email", data={"email": "wanted@example.ac.uk"}).status_code == 302
    link = link_in(mails(app, "wanted@example.ac.uk")[0]["body"], "/account/email/confirm/")
    make_user(app, email="wanted@example.ac.uk")
    response = me.client.post(link)
    assert response.status_code == 400 and "Another account uses this email address" in page_text(response)
    assert user_row(app, me.user.email) is not None
    assert make_client().get("/account/email/confirm/nonsense").status_code == 400


def test_an_administrator_changes_name_department_and_email(app, login_as):
    admin = login_as("admin")
    target = make_user(app, name="Jo Whitfeld")
    taken = make_user(app)
    form = {"name": "Jo Whitfield", "department": "Research office", "email": taken.email, "active": "y"}
    refused = admin.client.post(f"/admin/users/{target.id}", data=form)
    assert refused.status_code == 422 and "Another account uses this email address" in page_text(refused)
    assert user_row(app, target.email)["name"] == "Jo Whitfeld"
    form["email"] = "jo.whitfield@example.ac.uk"
    assert admin.client.post(f"/admin/users/{target.id}", data=form).status_code == 302
    row = user_row(app, "jo.whitfield@example.ac.uk")
    assert (row["name"], row["department"]) == ("Jo Whitfield", "Research office")
    [details] = audit_events(app, "user.details_changed")
    [email] = audit_events(app, "user.email_changed")
    assert details["actor_id"] == admin.user.id and email["actor_id"] == admin.user.id
    assert any("details were changed" in m["subject"] for m in mails(app, "jo.whitfield@example.ac.uk"))
    assert any("was changed" in m["subject"] for m in mails(app, target.email))
    # The person signs in with the new address.
    client = app.test_client()
    login(client, UserRef(target.id, "jo.whitfield@example.ac.uk", "Jo Whitfield", target.password))
    assert client.get("/account").status_code == 200
