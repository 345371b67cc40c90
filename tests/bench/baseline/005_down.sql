-- 005 down: put responses.is_correct back, from response_evaluations
-- The plain SQL of SQLite's 12-step procedure (lang_altertable.html#otheralter)
-- as one would write it for the sqlite3 shell, without step 10's whole-
-- database PRAGMA foreign_key_check (bench.py adds it for one measurement).
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE new_responses (
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
INSERT INTO new_responses (id, question_id, model_name, model_config, reasoning, answer, is_correct, created_at, updated_at)
SELECT id, question_id, model_name, model_config, reasoning, answer,
       (SELECT e.is_correct FROM response_evaluations e WHERE e.response_id = responses.id),
       created_at, updated_at FROM responses;
DROP TABLE responses;
ALTER TABLE new_responses RENAME TO responses;
CREATE INDEX idx_responses_question_id ON responses (question_id);
CREATE INDEX idx_responses_model_name ON responses (model_name);
CREATE INDEX idx_responses_created_at ON responses (created_at);
CREATE INDEX idx_responses_question_model ON responses (question_id, model_name);
CREATE INDEX idx_responses_is_correct ON responses (is_correct);
DROP TABLE response_evaluations;
UPDATE alembic_version SET version_num = '004_widen_category' WHERE version_num = '005_move_evaluations';
COMMIT;
