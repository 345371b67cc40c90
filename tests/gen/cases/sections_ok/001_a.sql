-- Revision a1
--
-- Revision ID: a1
-- Revises: 

-- migrate:up
CREATE TABLE a1 (x, note TEXT);
CREATE TRIGGER a1_t AFTER INSERT ON a1
BEGIN
    UPDATE a1 SET note = 'seen; once' WHERE rowid = NEW.rowid;
END;
-- A comment after the last statement.

-- migrate:down
-- Nothing to undo: only comments.
/* Not even this; */
