"""Areas of expertise on each account: what the research office matches reviewers to applications by.

Revision ID: 0009_reviewer_expertise
Revises: 0008_condition_send_back
Create Date: 2026-12-01 22:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0009_reviewer_expertise'
down_revision = '0008_condition_send_back'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expertise', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('expertise')
