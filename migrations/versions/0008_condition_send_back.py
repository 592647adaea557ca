"""A condition sent back to the applicant by the research office: when, by whom and why.

Revision ID: 0008_condition_send_back
Revises: 0007_security_signoff
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

import app.core.models

revision = '0008_condition_send_back'
down_revision = '0007_security_signoff'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_back_at', app.core.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sent_back_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('send_back_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_condition_sent_back_by_id_user'), 'user', ['sent_back_by_id'],
                                    ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_condition_sent_back_by_id_user'), type_='foreignkey')
        batch_op.drop_column('send_back_reason')
        batch_op.drop_column('sent_back_by_id')
        batch_op.drop_column('sent_back_at')
