-- No up section
--
-- Revision ID: a1
-- Revises:

-- migrate:down
DROP TABLE a1;
