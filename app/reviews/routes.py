"""Committee pages and the applicant's view of the outcome, one module per audience on one blueprint
(reviews.web): the research office's triage (routes_triage), the reviewers' and the committee's reading
(routes_review), the chair's decision (routes_decision), conditions (routes_conditions) and the applicant's
feedback (routes_feedback)."""
from __future__ import annotations

# Imported for their routes, which each registers on the blueprint as it is imported.
from app.reviews import (  # noqa: F401 - imported for the routes they register
    routes_conditions,
    routes_decision,
    routes_feedback,
    routes_review,
    routes_triage,
)
from app.reviews.web import bp

__all__ = ["bp"]
