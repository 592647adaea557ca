"""Every change in the review of an application: triage, assignment, conflicts of interest, comments,
recommendations, decisions and conditions. Each function checks permission and state, changes the models,
writes the audit event and queues the mail, in one transaction.

One module per audience (triage: the research office; reviewing: the reviewers; approval: the approval period
the chair's decision sets, the reminders before it and its expiry; decision: the chair; conditions), over what
they all read (records), the extra reviewers a round needs (extras) and the mail they send (notifications);
imported in that order,
none imports one after it. Callers use this package's names."""
from __future__ import annotations

from app.reviews.services.approval import (
    ApprovalPeriodError,
    PeriodOffer,
    approval_period_offer,
    expire_approvals,
    send_expiry_reminders,
)
from app.reviews.services.conditions import confirm_condition, report_condition, send_back_condition
from app.reviews.services.decision import (
    CHAIR_PER_PAGE,
    CHAIR_SORTS,
    Decided,
    awaiting_decision,
    decide,
    decision_blockers,
)
from app.reviews.services.extras import ExtraNeed, extra_reviewers_needed, missing_extra_reviewers
from app.reviews.services.notifications import notify, send_reminders
from app.reviews.services.records import (
    ASSIGNMENT,
    COMMENT,
    CONDITION,
    REVIEW,
    ReviewRuleError,
    active_assignments,
    assignments_of,
    comments_of,
    conditions_of,
    current_decision,
    decisions_of,
    history_of,
    my_assignment,
    round_diff,
    round_of,
    under_review,
    under_review_of,
)
from app.reviews.services.reviewing import (
    MINE_FILTERS,
    MINE_PER_PAGE,
    MINE_SORTS,
    ConflictFacts,
    add_comment,
    conflict_facts,
    declare_interest,
    my_reviews,
    recommend,
    resolve_thread,
    sign_off,
)
from app.reviews.services.triage import (
    QUEUE_FLAGS,
    QUEUE_SORTS,
    Candidate,
    QueueFilters,
    RecusedMember,
    assign,
    chair_to_confirm,
    coordinator_queue,
    override_route,
    queue_csv,
    recused_team_members,
    review_requirements,
    reviewer_candidates,
    reviewer_pool,
    start_review,
    unassign,
    work_counts,
)

__all__ = [
    "ASSIGNMENT", "CHAIR_PER_PAGE", "CHAIR_SORTS", "COMMENT", "CONDITION", "MINE_FILTERS", "MINE_PER_PAGE",
    "MINE_SORTS", "QUEUE_SORTS", "REVIEW",
    "Decided", "QueueFilters", "ReviewRuleError", "active_assignments", "add_comment", "assign",
    "assignments_of", "awaiting_decision", "comments_of", "conditions_of", "confirm_condition", "coordinator_queue",
    "current_decision", "decide", "decision_blockers", "decisions_of", "declare_interest", "history_of",
    "my_assignment", "my_reviews", "notify", "override_route", "recommend", "report_condition", "resolve_thread",
    "review_requirements", "reviewer_pool", "round_diff", "round_of", "send_back_condition", "send_reminders",
    "sign_off",
    "start_review", "unassign", "under_review", "under_review_of", "work_counts",
    # The queue's flags and CSV, and the people offered at triage.
    "QUEUE_FLAGS", "Candidate", "chair_to_confirm", "queue_csv", "reviewer_candidates",
    # Committee members on the team, recused.
    "RecusedMember", "recused_team_members",
    # The extra reviewers the institution policy asks for.
    "ExtraNeed", "extra_reviewers_needed", "missing_extra_reviewers",
    # What a conflict of interest is judged on.
    "ConflictFacts", "conflict_facts",
    # The approval period: its valid-until date, the reminders before it, expiry.
    "ApprovalPeriodError", "PeriodOffer", "approval_period_offer", "expire_approvals", "send_expiry_reminders",
]
