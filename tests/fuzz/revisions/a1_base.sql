-- Fuzz set revision a1_base
--
-- Revision ID: a1_base
-- Revises: 
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_a1_base (x INTEGER);

-- migrate:down
DROP TABLE t_a1_base;
