-- Create initial database schema
--
-- Revision ID: 001_initial_schema
-- Revises:
-- Create Date: 2024-01-01 10:00:00.000000

-- migrate:up
CREATE TABLE questions (
    id INTEGER NOT NULL,
    json_id VARCHAR(255),
    category VARCHAR(100) NOT NULL,
    question_text TEXT NOT NULL,
    golden_answer TEXT,
    answer_schema TEXT,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT unique_json_id UNIQUE (json_id)
);

CREATE INDEX idx_questions_category ON questions (category);
CREATE INDEX idx_questions_json_id ON questions (json_id);
CREATE INDEX idx_questions_created_at ON questions (created_at);

CREATE TABLE responses (
    id INTEGER NOT NULL,
    question_id INTEGER NOT NULL,
    model_name VARCHAR(100) NOT NULL,
    model_config TEXT NOT NULL,
    reasoning TEXT,
    answer TEXT NOT NULL,
    is_correct BOOLEAN,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE
);

CREATE INDEX idx_responses_question_id ON responses (question_id);
CREATE INDEX idx_responses_model_name ON responses (model_name);
CREATE INDEX idx_responses_is_correct ON responses (is_correct);
CREATE INDEX idx_responses_created_at ON responses (created_at);
CREATE INDEX idx_responses_question_model ON responses (question_id, model_name);

-- migrate:down
DROP TABLE responses;
DROP TABLE questions;
