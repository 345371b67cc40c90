-- Revision c1
--
-- Revision ID: c1
-- Revises: b1

-- migrate:up
CREATE TABLE c1 (x);

-- migrate:down
DROP TABLE c1;
