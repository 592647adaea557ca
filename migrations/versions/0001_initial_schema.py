"""Initial schema: accounts, applications and answers, rounds, reviews, decisions, documents, audit chain.

Revision ID: 0001_initial
Revises: 
Create Date: 2026-11-26 05:43:13.661101

"""
from alembic import op
import sqlalchemy as sa

import app.core.models


# revision identifiers, used by Alembic.
revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaire_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_version')),
    sa.UniqueConstraint('key', 'version', name='uq_questionnaire_version_key_version')
    )
    op.create_table('reference_counter',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reference_counter'))
    )
    op.create_table('user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=True),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_login_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('mail_digest', sa.Boolean(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user')),
    sa.UniqueConstraint('email', name=op.f('uq_user_email'))
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_audit_event_actor_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_event_hash')),
    sa.UniqueConstraint('previous_hash', name=op.f('uq_audit_event_previous_hash'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_submission_id'), ['submission_id'], unique=False)

    op.create_table('outbox_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recipient', sa.String(length=320), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('sent_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_outbox_message_user_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_message'))
    )
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_message_recipient'), ['recipient'], unique=False)

    op.create_table('submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=True),
    sa.Column('route_override_reason', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('overall_tier', sa.String(length=16), nullable=True),
    sa.Column('security_signoff_required', sa.Boolean(), nullable=False),
    sa.Column('risk_profile', sa.JSON(), nullable=True),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('submitted_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("overall_tier IS NULL OR overall_tier IN ('Low', 'Medium', 'High')", name=op.f('ck_submission_known_tier')),
    sa.CheckConstraint("route IS NULL OR route IN ('expedited', 'standard', 'full_committee')", name=op.f('ck_submission_known_route')),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'in_review', 'changes_requested', 'approved', 'approved_with_conditions', 'rejected', 'withdrawn')", name=op.f('ck_submission_known_state')),
    sa.CheckConstraint("state IN ('draft', 'withdrawn') OR reference IS NOT NULL", name=op.f('ck_submission_submitted_has_reference')),
    sa.CheckConstraint('round_number >= 0', name=op.f('ck_submission_round_not_negative')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_submission_owner_id_user')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_submission_questionnaire_version_id_questionnaire_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission')),
    sa.UniqueConstraint('reference', name=op.f('uq_submission_reference'))
    )
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_state'), ['state'], unique=False)

    op.create_table('user_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('granted_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('reviewer', 'chair', 'coordinator', 'security_officer', 'admin')", name=op.f('ck_user_role_known_role')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'], name=op.f('fk_user_role_granted_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_role_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_role')),
    sa.UniqueConstraint('user_id', 'role', name='uq_user_role_user_id_role')
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_role_user_id'), ['user_id'], unique=False)

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(length=300), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token', name=op.f('uq_user_session_token'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('invalid_input', sa.JSON(), nullable=True),
    sa.Column('invalid_message', sa.String(length=300), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_answer_version_positive')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_answer_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_answer_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('submission_id', 'question_id', name='uq_answer_submission_id_question_id')
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_submission_id'), ['submission_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('reviewer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('coi_status', sa.String(length=16), nullable=False),
    sa.Column('coi_statement', sa.Text(), nullable=True),
    sa.Column('coi_declared_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recommendation', sa.String(length=32), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('completed_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_reminded_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("coi_status IN ('pending', 'none', 'declared')", name=op.f('ck_assignment_known_coi_status')),
    sa.CheckConstraint("kind IN ('reviewer', 'security')", name=op.f('ck_assignment_known_kind')),
    sa.CheckConstraint("recommendation IS NULL OR coi_status = 'none'", name=op.f('ck_assignment_recommend_after_coi')),
    sa.CheckConstraint("recommendation IS NULL OR recommendation IN ('approve', 'approve_with_conditions', 'changes_requested', 'reject')", name=op.f('ck_assignment_known_recommendation')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_assignment_assigned_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['user.id'], name=op.f('fk_assignment_reviewer_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_assignment_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('submission_id', 'round_number', 'reviewer_id', 'kind', name='uq_assignment_submission_round_reviewer_kind')
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_reviewer_id'), ['reviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_submission_id'), ['submission_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=32), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('visibility', sa.String(length=16), nullable=False),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('released_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("visibility IN ('applicant', 'committee')", name=op.f('ck_comment_known_visibility')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_comment_author_id_user')),
    sa.ForeignKeyConstraint(['parent_id'], ['comment.id'], name=op.f('fk_comment_parent_id_comment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user.id'], name=op.f('fk_comment_resolved_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_comment_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_comment_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_submission_id'), ['submission_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signature_name', sa.String(length=200), nullable=False),
    sa.Column('signature_meaning', sa.String(length=200), nullable=False),
    sa.CheckConstraint("outcome IN ('approved', 'approved_with_conditions', 'changes_requested', 'rejected')", name=op.f('ck_decision_known_outcome')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_decision_decided_by_id_user')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_decision_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision')),
    sa.UniqueConstraint('submission_id', 'round_number', name='uq_decision_submission_id_round_number')
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decision_submission_id'), ['submission_id'], unique=False)

    op.create_table('document',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('signed_by', sa.String(length=500), nullable=False),
    sa.Column('audit_head', sa.String(length=64), nullable=True),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('decision', 'conditions_met')", name=op.f('ck_document_known_kind')),
    sa.CheckConstraint('size > 0', name=op.f('ck_document_size_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_document_created_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_document_submission_id_submission')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document')),
    sa.UniqueConstraint('sha256', name=op.f('uq_document_sha256')),
    sa.UniqueConstraint('uid', name=op.f('uq_document_uid'))
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_document_submission_id'), ['submission_id'], unique=False)

    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('questionnaire_version_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('risk_profile', sa.JSON(), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=False),
    sa.Column('overall_tier', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('footprint', sa.JSON(), nullable=True),
    sa.Column('footprint_energy_kwh', sa.Float(), nullable=True),
    sa.Column('footprint_co2e_kg', sa.Float(), nullable=True),
    sa.Column('footprint_tier', sa.String(length=16), nullable=True),
    sa.Column('footprint_data_version', sa.String(length=64), nullable=True),
    sa.CheckConstraint('number >= 1', name=op.f('ck_round_number_positive')),
    sa.ForeignKeyConstraint(['questionnaire_version_id'], ['questionnaire_version.id'], name=op.f('fk_round_questionnaire_version_id_questionnaire_version')),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_round_submission_id_submission'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_round_submitted_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_round')),
    sa.UniqueConstraint('submission_id', 'number', name='uq_round_submission_id_number')
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_round_submission_id'), ['submission_id'], unique=False)

    op.create_table('submission_member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('invited_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('editor', 'viewer')", name=op.f('ck_submission_member_known_member_role')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user.id'], name=op.f('fk_submission_member_invited_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_submission_member_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_member')),
    sa.UniqueConstraint('submission_id', 'email', name='uq_submission_member_submission_id_email')
    )
    with op.batch_alter_table('submission_member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_submission_member_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_submission_member_submission_id'), ['submission_id'], unique=False)

    op.create_table('condition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('decision_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('reported_met_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reported_by_id', sa.Integer(), nullable=True),
    sa.Column('report_note', sa.Text(), nullable=True),
    sa.Column('confirmed_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('confirmed_at IS NULL OR reported_met_at IS NOT NULL', name=op.f('ck_condition_confirm_after_report')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['user.id'], name=op.f('fk_condition_confirmed_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_condition_decision_id_decision'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reported_by_id'], ['user.id'], name=op.f('fk_condition_reported_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_condition_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_condition'))
    )
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_condition_decision_id'), ['decision_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_condition_submission_id'), ['submission_id'], unique=False)

    op.create_table('render_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_uid', sa.String(length=36), nullable=False),
    sa.Column('submission_id', sa.Integer(), nullable=False),
    sa.Column('round_number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('rq_job_id', sa.String(length=64), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('created_at', app.core.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.core.models.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('decision', 'conditions_met')", name=op.f('ck_render_job_known_kind')),
    sa.CheckConstraint("status != 'done' OR document_id IS NOT NULL", name=op.f('ck_render_job_done_has_document')),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_render_job_known_status')),
    sa.ForeignKeyConstraint(['document_id'], ['document.id'], name=op.f('fk_render_job_document_id_document')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_render_job_requested_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_id'], ['submission.id'], name=op.f('fk_render_job_submission_id_submission'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_render_job')),
    sa.UniqueConstraint('document_uid', name=op.f('uq_render_job_document_uid')),
    sa.UniqueConstraint('submission_id', 'round_number', 'kind', name='uq_render_job_submission_round_kind')
    )
    with op.batch_alter_table('render_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_render_job_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_render_job_submission_id'), ['submission_id'], unique=False)



def downgrade():
    with op.batch_alter_table('render_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_render_job_submission_id'))
        batch_op.drop_index(batch_op.f('ix_render_job_status'))

    op.drop_table('render_job')
    with op.batch_alter_table('condition', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_condition_submission_id'))
        batch_op.drop_index(batch_op.f('ix_condition_decision_id'))

    op.drop_table('condition')
    with op.batch_alter_table('submission_member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_member_submission_id'))
        batch_op.drop_index(batch_op.f('ix_submission_member_email'))

    op.drop_table('submission_member')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_round_submission_id'))

    op.drop_table('round')
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_submission_id'))
        batch_op.drop_index(batch_op.f('ix_document_created_at'))

    op.drop_table('document')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decision_submission_id'))

    op.drop_table('decision')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_submission_id'))
        batch_op.drop_index(batch_op.f('ix_comment_parent_id'))

    op.drop_table('comment')
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_submission_id'))
        batch_op.drop_index(batch_op.f('ix_assignment_reviewer_id'))

    op.drop_table('assignment')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_submission_id'))

    op.drop_table('answer')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_role_user_id'))

    op.drop_table('user_role')
    with op.batch_alter_table('submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_submission_state'))
        batch_op.drop_index(batch_op.f('ix_submission_owner_id'))

    op.drop_table('submission')
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_message_recipient'))
        batch_op.drop_index(batch_op.f('ix_outbox_message_created_at'))

    op.drop_table('outbox_message')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_submission_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor_id'))

    op.drop_table('audit_event')
    op.drop_table('user')
    op.drop_table('reference_counter')
    op.drop_table('questionnaire_version')
