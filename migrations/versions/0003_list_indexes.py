"""Indexes for every sort and filter the lists offer: the coordinator's queue, the chair's and reviewers' lists,
"My applications", the archive search and the footprint report's projects; the newest change to a submission
and to a user, which tell the footprint report its sums are current; trigram indexes for the searches on
PostgreSQL.

Revision ID: 0003_list_indexes
Revises: 0002_two_step_sign_in
Create Date: 2026-12-01 07:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003_list_indexes'
down_revision = '0002_two_step_sign_in'
branch_labels = None
depends_on = None

TIER_RANK = "(CASE overall_tier WHEN 'Low' THEN 1 WHEN 'Medium' THEN 2 WHEN 'High' THEN 3 END)"
# (name, expression, nullable), each then by id: nullable sorts also get a DESC NULLS LAST index on PostgreSQL
# (see the model).
SORTS = [("title", "title", False), ("tier_rank", TIER_RANK, True), ("route", "route", True),
         ("submitted_at", "submitted_at", False), ("due_on", "due_on", True), ("updated_at", "updated_at", False)]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for name, expression, nullable in SORTS:
        op.create_index(f"ix_submission_{name}", "submission", [sa.text(expression), "id"])
        if nullable and _postgresql():
            op.create_index(f"ix_submission_{name}_desc", "submission",
                            [sa.text(f"{expression} DESC NULLS LAST"), sa.text("id DESC")])
    if _postgresql():
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in ("title", "reference"):
            op.create_index(f"ix_submission_{column}_trgm", "submission", [sa.text(f"lower({column}) gin_trgm_ops")],
                            postgresql_using="gin")
    op.create_index("ix_assignment_reviewer_id_due_on", "assignment", ["reviewer_id", "due_on"])
    op.create_index("ix_round_footprint_co2e_kg", "round", ["footprint_co2e_kg", "id"])
    op.create_index("ix_user_updated_at", "user", ["updated_at"])


def downgrade():
    op.drop_index("ix_user_updated_at", table_name="user")
    op.drop_index("ix_round_footprint_co2e_kg", table_name="round")
    op.drop_index("ix_assignment_reviewer_id_due_on", table_name="assignment")
    if _postgresql():
        for column in ("title", "reference"):
            op.drop_index(f"ix_submission_{column}_trgm", table_name="submission")
    for name, _expression, nullable in SORTS:
        if nullable and _postgresql():
            op.drop_index(f"ix_submission_{name}_desc", table_name="submission")
        op.drop_index(f"ix_submission_{name}", table_name="submission")
