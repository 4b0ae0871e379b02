"""security: access log, sign-in throttle, idle sessions, transfer requests

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 23:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The access log is append-only: the database itself refuses to change or
# delete a row, whatever a bug or a stolen admin account might try.
_PG_APPEND_ONLY = """
CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();
"""
_SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
    "CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log "
    "BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END",
)


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('role', sa.Text(), nullable=True),
    sa.Column('workstation', sa.Text(), nullable=True),
    sa.Column('ip', sa.Text(), nullable=True),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('endpoint', sa.Text(), nullable=False),
    sa.Column('school_id', sa.Text(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('event_id', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_at', ['at'], unique=False)
        batch_op.create_index('ix_access_log_school_at', ['school_id', 'at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_APPEND_ONLY)
    else:
        for sql in _SQLITE_APPEND_ONLY:
            op.execute(sql)

    op.create_table('sign_in_throttle',
    sa.Column('key', sa.Text(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.BigInteger(), nullable=False),
    sa.Column('locked_until', sa.BigInteger(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_used_at', sa.BigInteger(), nullable=True))

    op.create_table('transfer_requests',
    sa.Column('school_id', sa.Text(), nullable=False),
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('district_student_id', sa.Text(), nullable=False),
    sa.Column('birth_date', sa.Text(), nullable=True),
    sa.Column('student_id', sa.Text(), nullable=True),
    sa.Column('student_name', sa.Text(), nullable=True),
    sa.Column('grade_level', sa.Integer(), nullable=False),
    sa.Column('entry_date', sa.Text(), nullable=False),
    sa.Column('entry_code', sa.Text(), nullable=False),
    sa.Column('school_enrollment_id', sa.Text(), nullable=False),
    sa.Column('from_school_id', sa.Text(), nullable=True),
    sa.Column('from_school_name', sa.Text(), nullable=True),
    sa.Column('to_school_id', sa.Text(), nullable=False),
    sa.Column('to_school_name', sa.Text(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.Text(), nullable=False),
    sa.Column('requested_at', sa.Text(), nullable=False),
    sa.Column('decided_by', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decision_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], ),
    sa.PrimaryKeyConstraint('school_id', 'id')
    )
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.create_index('ix_transfer_requests_school_version', ['school_id', 'version'],
                              unique=True)


def downgrade() -> None:
    with op.batch_alter_table('transfer_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_transfer_requests_school_version')
    op.drop_table('transfer_requests')
    with op.batch_alter_table('tokens', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
    op.drop_table('sign_in_throttle')
    op.drop_table('access_log')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION access_log_append_only()")
