-- Revision a1
--
-- Revision ID: a1
-- Revises: b1

-- migrate:up
CREATE TABLE a1 (x);

-- migrate:down
DROP TABLE a1;
