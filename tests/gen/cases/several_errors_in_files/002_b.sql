-- No down section
--
-- Revision ID: b1
-- Revises: a1

-- migrate:up
CREATE TABLE b1 (x);
