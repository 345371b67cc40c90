"""Add invalid_responses table

The seed's 002 the way its original adds the check constraint:
op.create_table without it, then op.create_check_constraint inside
op.batch_alter_table, which SQLite can only do by rebuilding the table
through _alembic_tmp_invalid_responses and a RENAME (so SQLite stores
CREATE TABLE "invalid_responses"). A variant for
tests/alembic/make-variants.sh (see variants/*.sql).

Revision ID: 002_add_invalid_responses
Revises: 001_initial_schema
Create Date: 2024-01-01 11:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = '002_add_invalid_responses'
down_revision = '001_initial_schema'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invalid_responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('model_name', sa.String(length=100), nullable=False),
        sa.Column('model_config', sa.Text(), nullable=False),
        sa.Column('reasoning', sa.Text(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('validation_error', sa.Text(), nullable=False),
        sa.Column('error_type', sa.String(length=50), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('idx_invalid_responses_question_id', 'invalid_responses', ['question_id'])
    op.create_index('idx_invalid_responses_error_type', 'invalid_responses', ['error_type'])
    op.create_index('idx_invalid_responses_created_at', 'invalid_responses', ['created_at'])
    with op.batch_alter_table('invalid_responses') as batch_op:
        batch_op.create_check_constraint(
            'check_error_type',
            "error_type IN ('JSON_PARSE_ERROR', 'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', 'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION')")


def downgrade() -> None:
    op.drop_table('invalid_responses')
