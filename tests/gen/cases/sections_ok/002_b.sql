-- Revision b1
--
-- Revision ID: b1
-- Revises: a1

-- migrate:up


-- migrate:down

