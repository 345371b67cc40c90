-- Revision c3
--
-- Revision ID: c3
-- Revises: c2
-- Branch Labels: tip
-- Create Date: 2024-06-01 12:00:00.000000

-- migrate:up
CREATE TABLE c3 (x);

-- migrate:down
DROP TABLE c3;
