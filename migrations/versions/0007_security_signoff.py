"""The security officer's sign-off: export-control classification, licence, Trusted Research outcome, conditions.

Revision ID: 0007_security_signoff
Revises: 0006_coordinator_counts
Create Date: 2026-12-01 22:30:00

"""
import sqlalchemy as sa
from alembic import op

import app.core.models

revision = '0007_security_signoff'
down_revision = '0006_coordinator_counts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('security_signoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('signed_by_id', sa.Integer(), nullable=False),
    sa.Column('control_entry', sa.String(length=40), nullable=True),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('licence_required', sa.Boolean(), nullable=False),
    sa.Column('trusted_research', sa.String(length=32), nullable=False),
    sa.Column('conditions', sa.Text(), nullable=False),
    sa.Column('signed_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("trusted_research IN ('no_concerns', 'concerns_mitigated', 'refer')",
                       name=op.f('ck_security_signoff_known_trusted_research')),
    sa.CheckConstraint("control_entry IS NOT NULL OR basis != ''", name=op.f('ck_security_signoff_basis_when_not_listed')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_security_signoff_assignment_id_assignment'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signed_by_id'], ['user.id'], name=op.f('fk_security_signoff_signed_by_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_security_signoff_submission_id_submission'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_signoff')),
    sa.UniqueConstraint('assignment_id', name='uq_security_signoff_assignment_id')
    )
    with op.batch_alter_table('security_signoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_security_signoff_submission_id'), ['submission_id'], unique=False)


def downgrade():
    with op.batch_alter_table('security_signoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_security_signoff_submission_id'))
    op.drop_table('security_signoff')
