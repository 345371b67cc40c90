-- Revision c2
--
-- Revision ID: c2
-- Revises: c1
-- Depends On: d1

-- migrate:up


-- migrate:down

