-- Fuzz set revision s2_side
--
-- Revision ID: s2_side
-- Revises: a2_users
-- Create Date: 2024-06-01 10:00:00.000000
-- Branch Labels: side
-- Depends On: b2_audit

-- migrate:up
CREATE TABLE t_s2_side (x INTEGER);

-- migrate:down
DROP TABLE t_s2_side;
