"""Partial indexes for the coordinator's counts: declared conflicts, and conditions reported met and waiting.

Revision ID: 0006_coordinator_counts
Revises: 0005_footprint_tally
Create Date: 2026-12-01 19:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0006_coordinator_counts'
down_revision = '0005_footprint_tally'
branch_labels = None
depends_on = None

DECLARED = sa.text("coi_status = 'declared'")
AWAITING = sa.text("reported_met_at IS NOT NULL AND confirmed_at IS NULL")


def upgrade():
    op.create_index('ix_assignment_declared', 'assignment', ['submission_id', 'round_number'], unique=False,
                    postgresql_where=DECLARED, sqlite_where=DECLARED)
    op.create_index('ix_condition_awaiting_confirmation', 'condition', ['submission_id'], unique=False,
                    postgresql_where=AWAITING, sqlite_where=AWAITING)


def downgrade():
    op.drop_index('ix_condition_awaiting_confirmation', table_name='condition')
    op.drop_index('ix_assignment_declared', table_name='assignment')
