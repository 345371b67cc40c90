-- Fuzz set revision a2_users
--
-- Revision ID: a2_users
-- Revises: a1_base
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_a2_users (x INTEGER);

-- migrate:down
DROP TABLE t_a2_users;
