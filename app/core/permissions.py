"""The role table, and the one way a route declares who may use it.

Each feature writes its rules as pure predicates in its own `permissions.py`: functions of the signed-in user
(and, for a route about one object, that object) returning True or False. A route names its predicate once,
with one of the decorators below, and the route-policy test fails for any route that names none:

    @bp.get("/review/queue")
    @allowed(can_open_queue)                          # a page about no one object: 403 when refused
    def queue(): ...

    @bp.get("/applications/<int:submission_id>")
    @allowed(can_read_application, load=APPLICATION)  # one object: 404 when missing or unseen, 403 when refused
    def overview(submission): ...

A `Resource` loads its object by id and says who may see it at all. An object the user may not see answers
404, exactly as a missing one does, so ids cannot be probed; one the user sees but may not act on answers 403.
Services call the same predicates and raise `core.errors.Forbidden`, which one error handler turns into 403.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Generic, Protocol, TypeVar

from flask import abort, current_app
from flask_login import current_user, login_required

from app.core.errors import Forbidden

# Every signed-in user is an applicant; the others are granted by an admin.
ROLES: dict[str, str] = {
    "applicant": "Applicant",
    "reviewer": "Reviewer",
    "chair": "Committee chair",
    "deputy_chair": "Deputy chair (decides when the chair is recused)",
    "coordinator": "Research office coordinator",
    "security_officer": "Security officer (export control / Trusted Research)",
    # The extra reviewers the institution policy asks for (questionnaires/policy/default.yaml, `roles`), with
    # its labels; the admin's page reads them from the policy.
    "sustainability_reviewer": "Sustainability reviewer",
    "data_steward": "Data steward (research data management)",
    "admin": "Administrator",
}
GRANTABLE_ROLES = tuple(r for r in ROLES if r != "applicant")
# The groups the features' predicates are written with; each is named once, here.
# The extra reviewers the institution policy asks for, beside the route's reviewers.
EXTRA_REVIEWER_ROLES = frozenset({"sustainability_reviewer", "data_steward"})
COMMITTEE_ROLES = frozenset({"reviewer", "chair", "deputy_chair", "coordinator", "security_officer", "admin",
                             *EXTRA_REVIEWER_ROLES})
# The research office: runs the queue, assigns reviewers, keeps the archive.
OFFICE_ROLES = frozenset({"coordinator", "admin"})
# See every application under review and every decision, without being assigned to it (the deputy chair too:
# they decide whenever the chair is recused).
OVERSIGHT_ROLES = frozenset({"chair", "deputy_chair", "coordinator", "admin"})
# Can be asked to review: the reviewer pool (reviewers and the chair), the security officer's sign-off and the
# extra reviewers.
REVIEWING_ROLES = frozenset({"reviewer", "chair", "security_officer", *EXTRA_REVIEWER_ROLES})


class Principal(Protocol):
    """What a predicate may ask of a user (the signed-in user, or Flask-Login's anonymous one)."""

    @property
    def id(self) -> Any: ...

    @property
    def is_authenticated(self) -> bool: ...

    def has_any_role(self, *roles: str) -> bool: ...


Obj = TypeVar("Obj")
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Resource(Generic[Obj]):
    """One kind of object a route can be about: how to load it, and who may see it at all."""

    name: str  # the view receives the object as `<name>`
    load: Callable[[int], Obj | None]
    visible: Callable[[Any, Obj], bool]
    # The URL's argument holding the id, when it is not `<name>_id` (the committee's view of an application is
    # loaded from `submission_id`).
    id_arg: str | None = None

    @property
    def url_arg(self) -> str:
        return self.id_arg or f"{self.name}_id"

    def get(self, ident: int, action: Callable[[Any, Obj], bool] | None = None) -> Obj:
        """The object, if the signed-in user may see it (else 404) and, given an action, do it (else 403)."""
        found = self.load(ident)
        if found is None or not self.visible(current_user, found):
            abort(404)
        if action is not None:
            require(action, current_user, found)
        return found


def allowed(predicate: Callable[..., bool], *, load: Resource[Any] | None = None) -> Callable[[View], View]:
    """Guard a view by a named predicate: of the user alone, or (with `load`) of the user and the object."""

    def decorator(view: View) -> View:
        def checked(*args: Any, **kwargs: Any) -> Any:
            if load is None:
                require(predicate, current_user)
                return view(*args, **kwargs)
            ident = kwargs.pop(load.url_arg)
            kwargs[load.name] = load.get(ident, predicate)
            return view(*args, **kwargs)

        # Signed out, every guarded page sends the visitor to sign in first (Flask-Login's redirect).
        guarded: Any = wraps(view)(login_required(checked))
        guarded.access_policy = _name_of(predicate)  # read by the route-policy test
        guarded.access_predicate, guarded.access_resource = predicate, load  # read by may()
        return guarded  # type: ignore[no-any-return]  # wraps keeps the view's name and signature

    return decorator


def public(reason: str) -> Callable[[View], View]:
    """Declare a view open to everyone, signed in or not, with the reason (sign-in, verification, health)."""

    def decorator(view: View) -> View:
        view.access_policy = f"public: {reason}"  # type: ignore[attr-defined]  # read by the route-policy test
        return view

    return decorator


def may(endpoint: str, obj: Any = None) -> bool:
    """Whether the signed-in user may use a route, by the route's own predicate: what a page asks before it
    shows a link or a button, so that one is shown exactly when following it is allowed. A route about an
    object is asked with the object (`may('reviews.triage', submission)`)."""
    view = current_app.view_functions[endpoint]
    predicate = getattr(view, "access_predicate", None)
    if predicate is None:
        return True  # a public route
    about_one = getattr(view, "access_resource", None) is not None
    if about_one and obj is None:
        raise TypeError(f"may({endpoint!r}) needs the object the route is about")
    if not current_user.is_authenticated:
        return False
    return bool(predicate(current_user, obj) if about_one else predicate(current_user))


def require(predicate: Callable[..., bool], user: Any, *obj: Any) -> None:
    """Raise Forbidden unless the predicate allows: services check the same predicates as their routes, since
    they are called from elsewhere too (the command line, the demo data, other services)."""
    if not predicate(user, *obj):
        raise Forbidden(f"{_name_of(predicate)} refused")


def signed_in(user: Principal) -> bool:
    """Any signed-in user: their own dashboard, account and new applications."""
    return bool(user.is_authenticated)


def _name_of(predicate: Callable[..., Any]) -> str:
    return getattr(predicate, "__name__", repr(predicate))
