"""The committee's blueprint, and what its route modules (routes_*.py, one per audience) share: how a step the
review's rules or the application's state refuse is answered, list tables, comment threads."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, NamedTuple

from flask import Blueprint, flash, g, redirect, request, url_for
from flask.typing import ResponseReturnValue

from app.core.errors import render_error
from app.extensions import db
from app.reviews import services
from app.reviews.anonymity import as_team_reads
from app.submissions import committee_comments, workflow
from app.submissions.models import Submission

bp = Blueprint("reviews", __name__, template_folder="templates")


# ---------------------------------------------------------------- refusals


def if_rule_broken(show: Callable[[str], ResponseReturnValue]) -> None:
    """How this request answers a broken review rule (services.ReviewRuleError): `show(message)`, usually its
    form drawn again with the message beside the field. Without one, the refusal is a 422 page."""
    g.on_rule_broken = show


def flash_back_to(endpoint: str, **values: Any) -> Callable[[str], ResponseReturnValue]:
    """For a button without a form of its own: back to the page it was on, the message at the top."""

    def show(message: str) -> ResponseReturnValue:
        flash(message, "error")
        return redirect(url_for(endpoint, **values))

    return show


@bp.errorhandler(services.ReviewRuleError)
def rule_broken(error: services.ReviewRuleError) -> ResponseReturnValue:
    db.session.rollback()
    show = g.pop("on_rule_broken", None)
    return render_error(422, str(error)) if show is None else show(str(error))


@bp.errorhandler(workflow.TransitionError)
def refused_in_this_state(error: workflow.TransitionError) -> ResponseReturnValue:
    db.session.rollback()
    return render_error(409, str(error))


# ---------------------------------------------------------------- lists


def wants_fragment() -> bool:
    """static/js/live-table.js asks for the results alone (the table and its pages) to swap them in place."""
    return request.headers.get("X-Requested-With") == "live-table"


def table_state(sorts, default_sort: str) -> dict:
    """Sorting and paging from the query string, and a helper that links to the same list changed."""
    sort = request.args.get("sort", default_sort)
    sort = sort if sort in sorts else default_sort
    direction = "desc" if request.args.get("dir") == "desc" else "asc"
    page = max(1, request.args.get("page", 1, type=int) or 1)
    current = {k: v for k, v in request.args.items() if v and k not in ("page",)}
    endpoint = request.endpoint
    if endpoint is None:
        raise RuntimeError("a table's links need the request's endpoint")

    def link(**changes) -> str:
        args = {**current, **{k: v for k, v in changes.items()}}
        return url_for(endpoint, **{k: v for k, v in args.items() if v not in (None, "")})

    def sort_link(key: str) -> str:
        return link(sort=key, dir="desc" if key == sort and direction == "asc" else "asc", page=None)

    def aria_sort(key: str) -> str | None:
        return ("descending" if direction == "desc" else "ascending") if key == sort else None

    return {"sort": sort, "direction": direction, "page": page, "link": link, "sort_link": sort_link,
            "aria_sort": aria_sort}


# ---------------------------------------------------------------- comment threads


# A named tuple: a template reads the fields of a dict only after getattr has failed, seven times slower, and the
# reviewer's page reads hundreds.
class Thread(NamedTuple):
    """A comment and its replies, oldest first."""
    root: Any
    replies: list


def comment_threads(submission: Submission, *, committee: bool) -> dict[str | None, list[Thread]]:
    """Question id (None: the whole application) -> its threads; for the applicant, only those released, with
    the committee's authors as the team knows them."""
    comments = services.comments_of(submission)
    if not committee:
        comments = as_team_reads(
            submission, [c for c in comments if c.visibility == "applicant" and c.released_at is not None])
    replies = defaultdict(list)
    for comment in comments:
        if comment.parent_id:
            replies[comment.parent_id].append(comment)
    threads: dict[str | None, list[Thread]] = defaultdict(list)
    for comment in comments:
        if comment.parent_id is None:
            threads[comment.question_id].append(Thread(comment, replies[comment.id]))
    return threads


def register_comment_reader() -> None:
    """The applicant's task list and section pages show the threads released to the team; submissions asks
    for them through its registry, as it may not import reviews."""
    committee_comments.register(lambda submission: comment_threads(submission, committee=False))
