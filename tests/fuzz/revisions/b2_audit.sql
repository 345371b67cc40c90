-- Fuzz set revision b2_audit
--
-- Revision ID: b2_audit
-- Revises: a1_base
-- Create Date: 2024-06-01 10:00:00.000000
-- Branch Labels: audit

-- migrate:up
CREATE TABLE t_b2_audit (x INTEGER);

-- migrate:down
DROP TABLE t_b2_audit;
