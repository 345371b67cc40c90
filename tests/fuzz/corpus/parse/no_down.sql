-- Missing down
--
-- Revision ID: x1
-- Revises: a, b, a
-- Create Date: now

-- migrate:up
SELECT 1;
