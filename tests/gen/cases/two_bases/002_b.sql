-- Revision b1
--
-- Revision ID: b1
-- Revises: 

-- migrate:up
CREATE TABLE b1 (x);

-- migrate:down
DROP TABLE b1;
