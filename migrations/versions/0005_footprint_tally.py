"""The footprint report's sums, kept as applications move: each counted application's share and the sums.

Revision ID: 0005_footprint_tally
Revises: 0004_deputy_chair_role
Create Date: 2026-12-01 19:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_footprint_tally'
down_revision = '0004_deputy_chair_role'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'footprint_statement',
        sa.Column('submission_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('department', sa.String(length=200), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('approved', sa.Boolean(), nullable=False),
        sa.Column('data_version', sa.String(length=100), nullable=False),
        sa.Column('has_figures', sa.Boolean(), nullable=False),
        sa.Column('energy_kwh', sa.Float(), nullable=False),
        sa.Column('co2e_kg', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('submission_id', name=op.f('pk_footprint_statement')),
    )
    op.create_table(
        'footprint_tally',
        sa.Column('department', sa.String(length=200), nullable=False),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('quarter', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('approved', sa.Boolean(), nullable=False),
        sa.Column('data_version', sa.String(length=100), nullable=False),
        sa.Column('statements', sa.Integer(), nullable=False),
        sa.Column('counted', sa.Integer(), nullable=False),
        sa.Column('energy_kwh', sa.Float(), nullable=False),
        sa.Column('co2e_kg', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('department', 'year', 'quarter', 'approved', 'data_version',
                                name=op.f('pk_footprint_tally')),
    )
    # The newest change to anyone told the report's earlier per-process sums whether they were current.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_updated_at')
    # The sums of the applications already there, by the report's own rule (the app's, imported here because
    # the rule is a query over the tables as they are at this revision).
    from app.reports.tally import rebuild

    rebuild(op.get_bind())


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.create_index('ix_user_updated_at', ['updated_at'], unique=False)
    op.drop_table('footprint_tally')
    op.drop_table('footprint_statement')
