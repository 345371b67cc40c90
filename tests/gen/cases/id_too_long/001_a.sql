-- Revision abcdefghij_abcdefghij_abcdefghijk
--
-- Revision ID: abcdefghij_abcdefghij_abcdefghijk
-- Revises: 

-- migrate:up
CREATE TABLE abcdefghij_abcdefghij_abcdefghijk (x);

-- migrate:down
DROP TABLE abcdefghij_abcdefghij_abcdefghijk;
