import pytest

from tests.helpers import audit_events, is_signed_in, live_sessions, login, make_user, page_text, user_row

ADMIN_PAGES = ["/admin/users", "/admin/users/{id}", "/admin/outbox"]


@pytest.fixture
def admin_client(login_as):
    admin = login_as("admin", name="Grace Admin")
    admin.client.admin = admin.user
    return admin.client


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_is_sent_to_sign_in(app, client, path):
    target = make_user(app)
    response = client.get(path.format(id=target.id))
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


@pytest.mark.parametrize("roles", [(), ("reviewer",), ("chair", "coordinator", "security_officer")])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_non_admins_are_forbidden(login_as, path, roles):
    staff = login_as(*roles)
    assert staff.client.get(path.format(id=staff.user.id)).status_code == 403


def test_non_admin_cannot_post_role_changes(app, client):
    user = make_user(app, "chair")
    login(client, user)
    response = client.post(f"/admin/users/{user.id}", data={"role_admin": "y", "role_chair": "y", "active": "y"})
    assert response.status_code == 403
    assert user_row(app, user.email)["roles"] == {"applicant", "chair"}
    assert audit_events(app, "user.roles_changed") == []


def test_user_list_and_search(app, admin_client):
    make_user(app, "reviewer", name="Marie Curie", email="m.curie@example.ac.uk")
    make_user(app, name="Pierre Curie", email="pierre@example.ac.uk")
    make_user(app, name="Lise Meitner", email="lise@example.ac.uk")
    text = page_text(admin_client.get("/admin/users"))
    assert "Marie Curie" in text and "Lise Meitner" in text and "Grace Admin" in text
    assert "Reviewer" in text and "Administrator" in text

    found = page_text(admin_client.get("/admin/users", query_string={"q": "curie"}))
    assert "Marie Curie" in found and "Pierre Curie" in found and "Lise Meitner" not in found
    by_email = page_text(admin_client.get("/admin/users", query_string={"q": "LISE@"}))
    assert "Lise Meitner" in by_email and "Marie Curie" not in by_email
    wildcard = page_text(admin_client.get("/admin/users", query_string={"q": "%"}))
    assert "Marie Curie" not in wildcard


def test_user_page_shows_role_checkboxes(app, admin_client):
    target = make_user(app, "reviewer")
    html = admin_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert '<input checked class="form-check-input" id="role_reviewer" name="role_reviewer" type="checkbox"' in html
    assert 'id="role_chair" name="role_chair" type="checkbox" value="y">' in html
    assert '<label class="form-check-label" for="role_admin">Administrator</label>' in html
    assert 'aria-describedby="active-hint"' in html and 'id="active-hint"' in html


def test_admin_grants_and_revokes_roles(app, admin_client):
    target = make_user(app, "reviewer")
    response = admin_client.post(
        f"/admin/users/{target.id}", data={"role_chair": "y", "role_coordinator": "y", "active": "y"}
    )
    assert response.status_code == 302 and response.location == f"/admin/users/{target.id}"
    assert user_row(app, target.email)["roles"] == {"applicant", "chair", "coordinator"}
    [event] = audit_events(app, "user.roles_changed")
    assert event["actor_id"] == admin_client.admin.id
    assert event["object_id"] == str(target.id)
    assert event["data"]["before"] == ["applicant", "reviewer"]
    assert event["data"]["after"] == ["applicant", "chair", "coordinator"]
    assert "Saved the changes" in page_text(admin_client.get(response.location))

    # Saving the same again changes nothing and records nothing.
    admin_client.post(f"/admin/users/{target.id}", data={"role_chair": "y", "role_coordinator": "y", "active": "y"})
    assert len(audit_events(app, "user.roles_changed")) == 1


def test_granted_role_takes_effect_for_the_signed_in_user(app, admin_client, make_client):
    target = make_user(app)
    target_client = make_client()
    login(target_client, target)
    assert target_client.get("/admin/users").status_code == 403
    admin_client.post(f"/admin/users/{target.id}", data={"role_admin": "y", "active": "y"})
    assert target_client.get("/admin/users").status_code == 200


def test_admin_cannot_remove_own_admin_role(app, admin_client):
    me = admin_client.admin
    response = admin_client.post(f"/admin/users/{me.id}", data={"role_reviewer": "y", "active": "y"})
    assert response.status_code == 422
    assert "You cannot remove your own administrator role" in page_text(response)
    html = response.get_data(as_text=True)
    assert 'href="#role_admin"' in html
    assert '<div id="role_admin-error" class="invalid-feedback d-block">You cannot remove' in html
    assert user_row(app, me.email)["roles"] == {"applicant", "admin"}
    assert audit_events(app, "user.roles_changed") == []


def test_admin_cannot_deactivate_self(app, admin_client):
    me = admin_client.admin
    response = admin_client.post(f"/admin/users/{me.id}", data={"role_admin": "y"})
    assert response.status_code == 422
    assert "You cannot deactivate your own account" in page_text(response)
    assert user_row(app, me.email)["active"] is True
    assert is_signed_in(admin_client)


def test_deactivation_signs_the_user_out_everywhere(app, admin_client, make_client):
    target = make_user(app)
    browsers = [make_client(), make_client()]
    for browser in browsers:
        login(browser, target)
    response = admin_client.post(f"/admin/users/{target.id}", data={})
    assert response.status_code == 302
    assert user_row(app, target.email)["active"] is False
    assert live_sessions(app, target.id) == []
    assert all(not is_signed_in(browser) for browser in browsers)
    [event] = audit_events(app, "user.deactivated")
    assert event["data"] == {"sessions_revoked": 2} and event["actor_id"] == admin_client.admin.id
    assert "deactivated" in page_text(login(make_client(), target))

    admin_client.post(f"/admin/users/{target.id}", data={"active": "y"})
    assert user_row(app, target.email)["active"] is True
    assert len(audit_events(app, "user.activated")) == 1
    assert login(make_client(), target).status_code == 302


def test_missing_user_is_404(admin_client):
    assert admin_client.get("/admin/users/999999").status_code == 404


def test_admin_post_without_csrf_token_is_rejected(app, admin_client):
    target = make_user(app)
    response = admin_client.post(f"/admin/users/{target.id}", data={"role_admin": "y", "active": "y"}, csrf=False)
    assert response.status_code == 400
    assert user_row(app, target.email)["roles"] == {"applicant"}


def test_admin_grants_the_extra_reviewer_roles_the_policy_names(app, admin_client):
    target = make_user(app, "reviewer")
    html = admin_client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert '<label class="form-check-label" for="role_sustainability_reviewer">Sustainability reviewer</label>' in html
    assert ('<label class="form-check-label" for="role_data_steward">Data steward (research data management)'
            '</label>') in html
    response = admin_client.post(f"/admin/users/{target.id}", data={
        "role_reviewer": "y", "role_sustainability_reviewer": "y", "role_data_steward": "y", "active": "y"})
    assert response.status_code == 302
    assert user_row(app, target.email)["roles"] == {"applicant", "reviewer", "sustainability_reviewer",
                                                    "data_steward"}
