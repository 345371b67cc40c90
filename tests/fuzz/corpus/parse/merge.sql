-- Merge left and right
--
-- Revision ID: g3_merge
-- Revises: g2a_left, g2b_right
-- Create Date: 2024-04-01 12:00:00.000000

-- migrate:up
-- migrate:down
