-- Fuzz set revision h9_head
--
-- Revision ID: h9_head
-- Revises: a4_after
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_h9_head (x INTEGER);

-- migrate:down
DROP TABLE t_h9_head;
