-- Say "hi" \ there ??= ok	(tab)
--
-- Revision ID: e1
-- Revises:
-- Create Date: 2024-01-01 10:00:00.000000

-- migrate:up
CREATE TABLE e1 (x);
INSERT INTO e1 VALUES ('a\\b "q" ??= ??/ é	tab');
-- migrate:down
DROP TABLE e1;