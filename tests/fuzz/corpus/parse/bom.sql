-- A migration that works
--
-- Revision ID: f1_ok
-- Revises: 
-- Create Date: 2024-03-01 10:00:00.000000

-- migrate:up
CREATE TABLE t1 (x INTEGER);
INSERT INTO t1 (x) VALUES (1), (2), (3);

-- migrate:down
DROP TABLE t1;
