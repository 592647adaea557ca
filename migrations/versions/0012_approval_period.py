"""The approval period: the valid-until date the chair signs, the reminders before it, and the expired state.

Revision ID: 0012_approval_period
Revises: 0011_extra_reviewer_roles
Create Date: 2026-12-02 13:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0012_approval_period'
down_revision = '0011_extra_reviewer_roles'
branch_labels = None
depends_on = None

# The state set as of each revision (app.submissions.workflow.State); a migration keeps its own copy.
STATES_BEFORE = ('draft', 'submitted', 'in_review', 'changes_requested', 'approved', 'approved_with_conditions',
                 'rejected', 'withdrawn')
STATES_AFTER = (*STATES_BEFORE, 'expired')
TIER_RANK = "(CASE overall_tier WHEN 'Low' THEN 1 WHEN 'Medium' THEN 2 WHEN 'High' THEN 3 END)"


def _submission_states(states, then=None):
    # SQLite cannot alter a constraint: batch mode copies the table with the new one, and its copy would lose the
    # expression index on the tier (made again after). `then(batch_op)` changes more in the same copy.
    op.drop_index('ix_submission_tier_rank', table_name='submission')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_known_state'), type_='check')
        batch_op.create_check_constraint('known_state', "state IN (" + ", ".join(f"'{s}'" for s in states) + ")")
        if then is not None:
            then(batch_op)
    op.create_index('ix_submission_tier_rank', 'submission', [sa.text(TIER_RANK), 'id'])


def _drop_approval_period(batch_op):
    batch_op.drop_index(batch_op.f('ix_submission_valid_until'))
    batch_op.drop_column('expiry_reminded_days')
    batch_op.drop_column('valid_until')


def upgrade():
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.add_column(sa.Column('valid_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('expiry_reminded_days', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_submission_valid_until'), ['valid_until'], unique=False)
    _submission_states(STATES_AFTER)


def downgrade():
    # An expired approval goes back to the decision it lapsed from: the state before this revision could not
    # say more.
    op.execute("UPDATE submission SET state = COALESCE((SELECT decision.outcome FROM decision "
               "WHERE decision.submission_id = submission.id AND decision.round_number = submission.round_number), "
               "'approved') WHERE state = 'expired'")
    _submission_states(STATES_BEFORE, then=_drop_approval_period)
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_column('valid_until')
