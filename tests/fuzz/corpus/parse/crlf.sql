-- Create items
--
-- Revision ID: c1_items
-- Revises: 
-- Create Date: 2024-02-01 10:00:00.000000

-- migrate:up
CREATE TABLE items (
    id INTEGER NOT NULL,
    name VARCHAR(50) NOT NULL,
    PRIMARY KEY (id)
);
-- Strings may hold what looks like a statement end or a comment.
INSERT INTO items (id, name) VALUES (1, 'semi;colon'), (2, 'it''s -- not a comment');

-- migrate:down
DROP TABLE items;
