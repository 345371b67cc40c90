-- Fuzz set revision a4_after
--
-- Revision ID: a4_after
-- Revises: a3_merge
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_a4_after (x INTEGER);

-- migrate:down
DROP TABLE t_a4_after;
