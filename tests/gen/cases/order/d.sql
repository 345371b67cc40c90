-- Revision d1
--
-- Revision ID: d1
-- Revises: c1

-- migrate:up
CREATE TABLE d1 (x);

-- migrate:down
DROP TABLE d1;
