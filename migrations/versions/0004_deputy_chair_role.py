"""The deputy chair role: decides on an application whose chair declared a conflict of interest.

Revision ID: 0004_deputy_chair_role
Revises: 0003_list_indexes
Create Date: 2026-12-01 08:40:00

"""
from alembic import op

revision = '0004_deputy_chair_role'
down_revision = '0003_list_indexes'
branch_labels = None
depends_on = None

# The role table as of each revision (app.core.permissions.GRANTABLE_ROLES); a migration keeps its own copy.
BEFORE = ('reviewer', 'chair', 'coordinator', 'security_officer', 'admin')
AFTER = ('reviewer', 'chair', 'deputy_chair', 'coordinator', 'security_officer', 'admin')


def _known_roles(roles):
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_known_role'), type_='check')
        batch_op.create_check_constraint('known_role', "role IN (" + ", ".join(f"'{r}'" for r in roles) + ")")


def upgrade():
    _known_roles(AFTER)


def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'deputy_chair'")
    _known_roles(BEFORE)
