-- Add invalid_responses table
--
-- Revision ID: 002_add_invalid_responses
-- Revises: 001_initial_schema
-- Create Date: 2024-01-01 11:00:00.000000
--
-- SQLite has no ALTER TABLE ... ADD CONSTRAINT, so check_error_type (a
-- separate op.create_check_constraint in the Alembic original) is declared
-- in the CREATE TABLE, where SQLAlchemy places a CheckConstraint.

-- migrate:up
CREATE TABLE invalid_responses (
    id INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    model_name VARCHAR(100) NOT NULL,
    model_config TEXT NOT NULL,
    reasoning TEXT,
    answer TEXT NOT NULL,
    validation_error TEXT NOT NULL,
    error_type VARCHAR(50) NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT check_error_type CHECK (error_type IN ('JSON_PARSE_ERROR', 'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', 'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION')),
    FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE
);

CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);
CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);
CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);

-- migrate:down
DROP TABLE invalid_responses;
