-- The LLM Distiller database at 002 with :n questions, 5 * :n responses and
-- :n / 10 invalid responses, made inside SQLite with recursive CTEs. Text
-- sizes follow what the Distiller stores: questions of 200-600 characters,
-- golden answers of 50-250, model configs as JSON, reasoning of 600-2000
-- characters (the bulk), answers of 100-500: about 2.4 GB at N=200000, the
-- size of the database issue 6 measured (2.3 GB). Indexes are dropped for
-- the load and recreated with their own DDL, so the schema is the
-- migrations'.
-- Run by bench.py with .parameter set :n N on a database at 002.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -262144;
BEGIN;
CREATE TEMP TABLE saved_index AS SELECT name, sql FROM sqlite_schema
  WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid;
DROP INDEX idx_questions_category;
DROP INDEX idx_questions_json_id;
DROP INDEX idx_questions_created_at;
DROP INDEX idx_responses_question_id;
DROP INDEX idx_responses_model_name;
DROP INDEX idx_responses_is_correct;
DROP INDEX idx_responses_created_at;
DROP INDEX idx_responses_question_model;
DROP INDEX idx_invalid_responses_question_id;
DROP INDEX idx_invalid_responses_error_type;
DROP INDEX idx_invalid_responses_created_at;
CREATE TEMP TABLE lorem AS SELECT
  replace(hex(zeroblob(700)), '00',
          'Lorem ipsum dolor sit amet, consectetur adipiscing elit; ') AS t;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n)
INSERT INTO questions (id, json_id, category, question_text, golden_answer,
                       answer_schema, created_at, updated_at)
SELECT i, 'question-' || i, 'category ' || (i % 40),
       substr(t, 1 + (i * 37) % 5000, 200 + (i * 7919) % 401),
       CASE WHEN i % 5 = 0 THEN NULL ELSE substr(t, 1 + (i * 53) % 5000, 50 + (i * 104729) % 201) END,
       '{"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}',
       datetime('2024-01-01', '+' || (i % 500000) || ' minutes'),
       datetime('2024-01-01', '+' || (i % 500000) || ' minutes', '+1 hour')
FROM n, lorem;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5 * :n)
INSERT INTO responses (id, question_id, model_name, model_config, reasoning, answer,
                       is_correct, created_at, updated_at)
SELECT i, 1 + (i * 7) % :n, 'model-' || (i % 6),
       '{"model": "model-' || (i % 6) || '", "temperature": 0.' || (i % 10) ||
         ', "max_tokens": 2048, "top_p": 0.95}',
       CASE WHEN i % 20 = 0 THEN NULL ELSE substr(t, 1 + (i * 31) % 4000, 600 + (i * 7919) % 1401) END,
       substr(t, 1 + (i * 17) % 5000, 100 + (i * 104729) % 401),
       CASE i % 3 WHEN 0 THEN NULL WHEN 1 THEN 1 ELSE 0 END,
       datetime('2024-02-01', '+' || (i % 1000000) || ' seconds'),
       datetime('2024-02-01', '+' || (i % 1000000) || ' seconds', '+5 minutes')
FROM n, lorem;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n / 10)
INSERT INTO invalid_responses (id, question_id, model_name, model_config, reasoning,
                               answer, validation_error, error_type, created_at, updated_at)
SELECT i, 1 + (i * 13) % :n, 'model-' || (i % 6), '{"model": "model-' || (i % 6) || '"}',
       substr(t, 1 + (i * 29) % 4000, 400 + i % 400),
       substr(t, 1 + (i * 11) % 5000, 100 + i % 200),
       'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
       CASE i % 5 WHEN 0 THEN 'JSON_PARSE_ERROR' WHEN 1 THEN 'SCHEMA_VALIDATION_ERROR'
         WHEN 2 THEN 'MISSING_REQUIRED_FIELD' WHEN 3 THEN 'INVALID_DATA_TYPE'
         ELSE 'CONSTRAINT_VIOLATION' END,
       datetime('2024-03-01', '+' || i || ' seconds'),
       datetime('2024-03-01', '+' || i || ' seconds')
FROM n, lorem;
COMMIT;

-- The indexes, as the migrations wrote them.
CREATE INDEX idx_questions_category ON questions (category);
CREATE INDEX idx_questions_json_id ON questions (json_id);
CREATE INDEX idx_questions_created_at ON questions (created_at);
CREATE INDEX idx_responses_question_id ON responses (question_id);
CREATE INDEX idx_responses_model_name ON responses (model_name);
CREATE INDEX idx_responses_is_correct ON responses (is_correct);
CREATE INDEX idx_responses_created_at ON responses (created_at);
CREATE INDEX idx_responses_question_model ON responses (question_id, model_name);
CREATE INDEX idx_invalid_responses_question_id ON invalid_responses (question_id);
CREATE INDEX idx_invalid_responses_error_type ON invalid_responses (error_type);
CREATE INDEX idx_invalid_responses_created_at ON invalid_responses (created_at);
SELECT count(*) = 0 AS "indexes as before" FROM (
  SELECT name, sql FROM temp.saved_index EXCEPT
  SELECT name, sql FROM main.sqlite_schema WHERE type = 'index');
PRAGMA journal_mode = DELETE;
