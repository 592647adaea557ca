"""Two-step sign-in: each user's authenticator secret (encrypted) and hashed recovery codes.

Revision ID: 0002_two_step_sign_in
Revises: 0001_initial
Create Date: 2026-12-01 07:50:00

"""
from alembic import op
import sqlalchemy as sa

import app.core.models


# revision identifiers, used by Alembic.
revision = '0002_two_step_sign_in'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_totp',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_encrypted', sa.String(length=300), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_step', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_totp_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_totp')),
    sa.UniqueConstraint('user_id', name=op.f('uq_user_totp_user_id'))
    )
    op.create_table('user_recovery_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=256), nullable=False),
    sa.Column('used_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_recovery_code_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_recovery_code'))
    )
    with op.batch_alter_table('user_recovery_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_recovery_code_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_recovery_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_recovery_code_user_id'))
    op.drop_table('user_recovery_code')
    op.drop_table('user_totp')
