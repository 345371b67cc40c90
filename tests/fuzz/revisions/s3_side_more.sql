-- Fuzz set revision s3_side_more
--
-- Revision ID: s3_side_more
-- Revises: s2_side
-- Create Date: 2024-06-01 10:00:00.000000

-- Depends On: a3_merge

-- migrate:up
CREATE TABLE t_s3_side_more (x INTEGER);

-- migrate:down
DROP TABLE t_s3_side_more;
