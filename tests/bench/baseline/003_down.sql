-- 003 down: drop questions.new_field
-- The plain SQL of SQLite's 12-step procedure (lang_altertable.html#otheralter)
-- as one would write it for the sqlite3 shell, without step 10's whole-
-- database PRAGMA foreign_key_check (bench.py adds it for one measurement).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_questions (
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
INSERT INTO new_questions (id, json_id, category, question_text, golden_answer, answer_schema, created_at, updated_at) SELECT id, json_id, category, question_text, golden_answer, answer_schema, created_at, updated_at FROM questions;
DROP TABLE questions;
ALTER TABLE new_questions RENAME TO questions;
CREATE INDEX idx_questions_category ON questions (category);
CREATE INDEX idx_questions_json_id ON questions (json_id);
CREATE INDEX idx_questions_created_at ON questions (created_at);
UPDATE alembic_version SET version_num = '002_add_invalid_responses' WHERE version_num = '003_add_new_field';
COMMIT;
