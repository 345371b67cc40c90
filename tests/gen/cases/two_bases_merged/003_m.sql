-- Revision m1
--
-- Revision ID: m1
-- Revises: a1, b1

-- migrate:up


-- migrate:down

