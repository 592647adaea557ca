"""The extra reviewers the institution policy asks for: the sustainability reviewer and data steward roles, and
assignments of their kinds.

Revision ID: 0011_extra_reviewer_roles
Revises: 0010_team_invitations
Create Date: 2026-12-02 02:40:00

"""
from alembic import op
from sqlalchemy import column

revision = '0011_extra_reviewer_roles'
down_revision = '0010_team_invitations'
branch_labels = None
depends_on = None

# The label sets as of each revision (app.core.permissions.GRANTABLE_ROLES, app.reviews.models.ASSIGNMENT_KINDS);
# a migration keeps its own copy.
ROLES_BEFORE = ('reviewer', 'chair', 'deputy_chair', 'coordinator', 'security_officer', 'admin')
ROLES_AFTER = ('reviewer', 'chair', 'deputy_chair', 'coordinator', 'security_officer', 'sustainability_reviewer',
               'data_steward', 'admin')
KINDS_BEFORE = ('reviewer', 'security')
KINDS_AFTER = ('reviewer', 'security', 'sustainability', 'data_steward')
DECLARED = column('coi_status') == 'declared'


def _one_of(table, name, column_name, values):
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
        batch_op.create_check_constraint(name, f"{column_name} IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def _assignment_kinds(kinds):
    # The copy SQLite's batch mode makes would lose the partial index's condition: it is made again after.
    op.drop_index('ix_assignment_declared', table_name='assignment')
    _one_of('assignment', 'known_kind', 'kind', kinds)
    op.create_index('ix_assignment_declared', 'assignment', ['submission_id', 'round_number'], unique=False,
                    postgresql_where=DECLARED, sqlite_where=DECLARED)


def upgrade():
    _one_of('user_role', 'known_role', 'role', ROLES_AFTER)
    _assignment_kinds(KINDS_AFTER)


def downgrade():
    op.execute("DELETE FROM assignment WHERE kind IN ('sustainability', 'data_steward')")
    _assignment_kinds(KINDS_BEFORE)
    op.execute("DELETE FROM user_role WHERE role IN ('sustainability_reviewer', 'data_steward')")
    _one_of('user_role', 'known_role', 'role', ROLES_BEFORE)
