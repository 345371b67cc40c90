-- Fuzz set revision a3_merge
--
-- Revision ID: a3_merge
-- Revises: a2x_users_more, b3_audit_index
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_a3_merge (x INTEGER);

-- migrate:down
DROP TABLE t_a3_merge;
