-- A trigger body that holds the words is fine
--
-- Revision ID: r3
-- Revises: r2
-- Create Date: 2026-12-02 10:00:00.000000

-- migrate:up
CREATE TABLE t3(a);
CREATE TRIGGER "commit" AFTER INSERT ON t3 BEGIN
  SELECT 'BEGIN; COMMIT; ROLLBACK;';
END;
-- migrate:down
DROP TABLE t3;
