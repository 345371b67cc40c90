-- Revision a1
--
-- Revision ID: a1
-- Revises: 

-- migrate:up
CREATE TABLE a1 (x);

-- migrate:down
DROP TABLE a1;
