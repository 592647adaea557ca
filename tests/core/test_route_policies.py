"""Every route declares who may use it: one `@allowed(predicate)` or `@public("reason")` (core.permissions)."""
from __future__ import annotations

import pytest
from flask import Blueprint, Flask

# Static files, Flask's own and Bootstrap-Flask's: served to everyone, like any web server's.
UNGUARDED_BY_DESIGN = {"static", "bootstrap.static"}


def undeclared_routes(app: Flask) -> list[str]:
    """Every URL rule whose view names no access policy, as "endpoint (rule)"."""
    return sorted(
        f"{rule.endpoint} ({rule.rule})"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNGUARDED_BY_DESIGN
        and not getattr(app.view_functions[rule.endpoint], "access_policy", None)
    )


def test_every_route_declares_its_access_policy(app):
    missing = undeclared_routes(app)
    assert not missing, "routes without @allowed(...) or @public(...): " + ", ".join(missing)


def test_the_check_names_a_route_added_without_a_policy(app):
    from app import create_app

    throwaway = create_app(app.config)
    careless = Blueprint("careless", __name__)

    @careless.route("/careless/<int:thing_id>")
    def forgotten(thing_id: int):
        return str(thing_id)

    throwaway.register_blueprint(careless)
    assert undeclared_routes(throwaway) == ["careless.forgotten (/careless/<int:thing_id>)"]


def test_policies_name_their_predicate_or_reason(app):
    policies = {rule.endpoint: app.view_functions[rule.endpoint].access_policy
                for rule in app.url_map.iter_rules() if rule.endpoint not in UNGUARDED_BY_DESIGN}
    assert policies["auth.login"].startswith("public: ")
    assert policies["reviews.queue"] == "can_open_queue"
    assert policies["submissions.task_list"] == "can_read_application"
    # No anonymous predicates: the route-policy report reads each one's name.
    assert not [endpoint for endpoint, policy in policies.items() if "lambda" in policy]


def test_pages_link_to_the_routes_their_reader_may_use(app, make_client):
    """The menu asks each route's own predicate (core.permissions.may), so it shows exactly what opens."""
    from tests.helpers import person

    menus = {}
    for role in ("coordinator", "reviewer", "chair", "admin"):
        page = person(app, make_client, role).client.get("/").get_data(as_text=True)
        menus[role] = {link for link in ("/review/queue", "/review/mine", "/review/chair", "/archive",
                                         "/reports/footprint", "/admin/users") if f'href="{link}"' in page}
    assert menus == {
        "coordinator": {"/review/queue", "/archive", "/reports/footprint"},
        "reviewer": {"/review/mine"},
        "chair": {"/review/mine", "/review/chair"},
        "admin": {"/review/queue", "/archive", "/reports/footprint", "/admin/users"},
    }


def test_may_needs_the_object_of_a_route_about_one(app):
    from app.core.permissions import may

    with app.test_request_context("/"):
        assert may("auth.login")  # public
        assert not may("reviews.queue")  # signed out
        with pytest.raises(TypeError, match="needs the object"):
            may("reviews.triage")
