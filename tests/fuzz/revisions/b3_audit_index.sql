-- Fuzz set revision b3_audit_index
--
-- Revision ID: b3_audit_index
-- Revises: b2_audit
-- Create Date: 2024-06-01 10:00:00.000000

-- migrate:up
CREATE TABLE t_b3_audit_index (x INTEGER);

-- migrate:down
DROP TABLE t_b3_audit_index;
