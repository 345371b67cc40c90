-- RECONSTRUCTED BY HAND, not produced by Alembic: Alembic and SQLAlchemy
-- cannot be installed here (no PyPI). It is the statement sequence Alembic
-- runs for the seed's original 002 on SQLite: op.create_table without the
-- CHECK, its three indexes, then op.create_check_constraint inside
-- op.batch_alter_table("invalid_responses"), which SQLite can only do by
-- rebuilding the table (alembic/operations/batch.py, ApplyBatchImpl): the
-- reflected table with the new constraint appended (so the CHECK comes
-- AFTER the FOREIGN KEY) is created as _alembic_tmp_invalid_responses, the
-- rows copied, the old table dropped, the new one renamed, and the indexes
-- created again. SQLite's RENAME stores the name quoted, so the table's
-- SQL reads CREATE TABLE "invalid_responses". DDL text as SQLAlchemy emits
-- it (tab indents, ", " line ends), taken from ../reference/002_add_invalid_responses.sql.
-- Same meaning as 002; migrate_check() must say ok on it, stamped at 002.
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
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
	FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE
);
CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);
CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);
CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);
CREATE TABLE _alembic_tmp_invalid_responses (
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
	FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE, 
	CONSTRAINT check_error_type CHECK (error_type IN ('JSON_PARSE_ERROR', 'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', 'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION'))
);
INSERT INTO _alembic_tmp_invalid_responses (id, question_id, model_name, model_config, reasoning, answer, validation_error, error_type, created_at, updated_at) SELECT id, question_id, model_name, model_config, reasoning, answer, validation_error, error_type, created_at, updated_at 
FROM invalid_responses;
DROP TABLE invalid_responses;
ALTER TABLE _alembic_tmp_invalid_responses RENAME TO invalid_responses;
CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);
CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);
CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);
