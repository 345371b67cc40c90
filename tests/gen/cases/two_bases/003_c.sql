-- Revision c1
--
-- Revision ID: c1
-- Revises: a1

-- migrate:up
CREATE TABLE c1 (x);

-- migrate:down
DROP TABLE c1;
