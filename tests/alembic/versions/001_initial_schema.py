"""Create initial database schema

Revision ID: 001_initial_schema
Revises: 
Create Date: 2024-01-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

revision = '001_initial_schema'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('json_id', sa.String(length=255), nullable=True),
        sa.Column('category', sa.String(length=100), nullable=False),
        sa.Column('question_text', sa.Text(), nullable=False),
        sa.Column('golden_answer', sa.Text(), nullable=True),
        sa.Column('answer_schema', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('json_id', name='unique_json_id')
    )
    op.create_index('idx_questions_category', 'questions', ['category'])
    op.create_index('idx_questions_json_id', 'questions', ['json_id'])
    op.create_index('idx_questions_created_at', 'questions', ['created_at'])
    op.create_table('responses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('question_id', sa.Integer(), nullable=False),
        sa.Column('model_name', sa.String(length=100), nullable=False),
        sa.Column('model_config', sa.Text(), nullable=False),
        sa.Column('reasoning', sa.Text(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=False),
        sa.Column('is_correct', sa.Boolean(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['question_id'], ['questions.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id')
    )
    op.create_index('idx_responses_question_id', 'responses', ['question_id'])
    op.create_index('idx_responses_model_name', 'responses', ['model_name'])
    op.create_index('idx_responses_is_correct', 'responses', ['is_correct'])
    op.create_index('idx_responses_created_at', 'responses', ['created_at'])
    op.create_index('idx_responses_question_model', 'responses', ['question_id', 'model_name'])


def downgrade() -> None:
    op.drop_table('responses')
    op.drop_table('questions')
