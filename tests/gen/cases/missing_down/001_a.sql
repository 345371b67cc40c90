-- No down section
--
-- Revision ID: a1
-- Revises:

-- migrate:up
CREATE TABLE a1 (x);
