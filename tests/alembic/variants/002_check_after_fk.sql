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
	FOREIGN KEY(question_id) REFERENCES questions (id) ON DELETE CASCADE, 
	CONSTRAINT check_error_type CHECK (error_type IN ('JSON_PARSE_ERROR', 'SCHEMA_VALIDATION_ERROR', 'MISSING_REQUIRED_FIELD', 'INVALID_DATA_TYPE', 'CONSTRAINT_VIOLATION'))
);
CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);
CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);
CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);
