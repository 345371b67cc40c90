-- Widen items.name by rebuilding the table
--
-- Revision ID: c4_rebuild_items
-- Revises: c3_add_price
-- Create Date: 2024-02-01 13:00:00.000000

-- migrate:up
CREATE TABLE items_new (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    price INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id)
);
INSERT INTO items_new (id, name, price) SELECT id, name, price FROM items;
DROP TABLE items;
ALTER TABLE items_new RENAME TO items;
CREATE INDEX idx_items_name ON items (name);
CREATE TRIGGER items_audit AFTER INSERT ON items
BEGIN
    INSERT INTO item_audit (item_id, note) VALUES (NEW.id, 'added; by trigger');
    UPDATE item_audit SET note = note || ';' WHERE item_id = NEW.id;
END;

-- migrate:down
-- Rename first, so that the recreated table keeps c3's exact text (RENAME
-- would store it as "items", quoted). No view refers to items yet.
ALTER TABLE items RENAME TO items_wide;
CREATE TABLE items (
    id INTEGER NOT NULL,
    name VARCHAR(50) NOT NULL, price INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (id)
);
INSERT INTO items (id, name, price) SELECT id, name, price FROM items_wide;
DROP TABLE items_wide;
CREATE TRIGGER items_audit AFTER INSERT ON items
BEGIN
    INSERT INTO item_audit (item_id, note) VALUES (NEW.id, 'added; by trigger');
    UPDATE item_audit SET note = note || ';' WHERE item_id = NEW.id;
END;
