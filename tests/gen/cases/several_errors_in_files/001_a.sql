-- Revision a-1
--
-- Revision ID: a-1
-- Revises: 

-- migrate:up
CREATE TABLE a-1 (x);

-- migrate:down
DROP TABLE a-1;
