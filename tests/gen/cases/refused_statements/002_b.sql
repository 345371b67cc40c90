-- Attach, vacuum and mode pragmas
--
-- Revision ID: r2
-- Revises: r1
-- Create Date: 2026-12-02 10:00:00.000000

-- migrate:up
ATTACH 'other.db' AS other;
VACUUM;
PRAGMA main.journal_mode = OFF;
PRAGMA "locking_mode"=EXCLUSIVE;
pragma writable_schema(1);
PRAGMA journal_mode;
PRAGMA foreign_keys=OFF;
-- migrate:down
DETACH other;
ROLLBACK TO x;
SAVEPOINT x;
END;
