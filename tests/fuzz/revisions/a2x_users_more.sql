-- Fuzz set revision a2x_users_more
--
-- Revision ID: a2x_users_more
-- Revises: a2_users
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_a2x_users_more (x INTEGER);

-- migrate:down
DROP TABLE t_a2x_users_more;
