-- Transaction control behind stray semicolons and comments
--
-- Revision ID: r1
-- Revises: 
-- Create Date: 2026-12-02 10:00:00.000000

-- migrate:up
CREATE TABLE t1(a); ;COMMIT; CREATE TABLE t2(b);
/* c */ ;release distmigrate;
-- migrate:down
DROP TABLE t1;
  -- x
  ;; Begin Immediate;
