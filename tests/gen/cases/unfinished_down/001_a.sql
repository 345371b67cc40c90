-- Revision a1
--
-- Revision ID: a1
-- Revises: 

-- migrate:up
CREATE TABLE a1 (x);
CREATE TRIGGER a1_t AFTER INSERT ON a1
BEGIN
    SELECT 1;
END;

-- migrate:down
DROP TRIGGER a1_t;
CREATE TRIGGER a1_t AFTER INSERT ON a1
BEGIN
    SELECT 1;
END
