"""Accounts linked to their identity at an OpenID provider, by the provider's (issuer, subject) pair.

Revision ID: 0013_sso_links
Revises: 0012_approval_period
Create Date: 2026-12-02 14:10:00

"""
import sqlalchemy as sa
from alembic import op

import app.core.models

revision = '0013_sso_links'
down_revision = '0012_approval_period'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('provider', sa.String(length=50), nullable=False),
        sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_sso_link_user_id_user'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_link')),
        sa.UniqueConstraint('issuer', 'subject', name='uq_sso_link_issuer_subject'),
    )
    with op.batch_alter_table('sso_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sso_link_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sso_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sso_link_user_id'))
    op.drop_table('sso_link')
