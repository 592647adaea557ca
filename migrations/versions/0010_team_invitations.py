"""Team invitations wait for the invitee to accept: when they did, and the committee roles joining recused
them in. Members already on a team are taken as having accepted when they were invited, so no team changes.

Revision ID: 0010_team_invitations
Revises: 0009_reviewer_expertise
Create Date: 2026-12-02 02:20:00

"""
import sqlalchemy as sa
from alembic import op

import app.core.models

revision = '0010_team_invitations'
down_revision = '0009_reviewer_expertise'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('submission_member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('accepted_at', app.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('recused_as', sa.JSON(), nullable=True))
    op.execute("UPDATE submission_member SET accepted_at = invited_at")


def downgrade():
    # Without the column a pending invitation would count as membership: it goes.
    op.execute("DELETE FROM submission_member WHERE accepted_at IS NULL")
    with op.batch_alter_table('submission_member', schema=None) as batch_op:
        batch_op.drop_column('recused_as')
        batch_op.drop_column('accepted_at')
