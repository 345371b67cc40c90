// distmigrate from Node, through better-sqlite3 (which bundles its own,
// newer SQLite): the application start-up pattern and what it must see.
// Run by `make check-node`.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('better-sqlite3');

const build = process.env.DM_BUILD || 'build';
const extension = path.resolve(build, 'distmigrate');
const reference = (rev) =>
  fs.readFileSync(path.join('tests/alembic/reference', rev + '.sql'), 'utf8');

// Each test's own directory, removed when the file's tests are done.
const dirs = [];
test.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function freshDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dm-node-'));
  dirs.push(dir);
  return path.join(dir, 'llm_distiller.db');
}

// sqlite_schema without distmigrate's own log, whitespace folded.
function schema(db) {
  return db
    .prepare("SELECT type, name, tbl_name, coalesce(sql, '') AS sql FROM sqlite_schema " +
             "WHERE name NOT LIKE 'distmigrate%' ORDER BY type, name")
    .all()
    .map((r) => [r.type, r.name, r.tbl_name,
                 r.sql.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ ([),])/g, '$1')].join('|'))
    .join('\n');
}

function referenceSchema(rev) {
  const db = new Database(':memory:');
  db.exec(reference(rev));
  const s = schema(db);
  db.close();
  return s;
}

test('start-up migration gives Alembic\'s schema and version', () => {
  const file = freshDb();
  const db = new Database(file);
  db.loadExtension(extension);
  assert.strictEqual(db.prepare("SELECT migrate_upgrade('head')").pluck().get(),
                     '002_add_invalid_responses');
  assert.strictEqual(schema(db), referenceSchema('002_add_invalid_responses'));
  assert.strictEqual(db.prepare('SELECT migrate_current()').pluck().get(),
                     '002_add_invalid_responses');
  // A second start-up is a no-op that still answers the version.
  assert.strictEqual(db.prepare("SELECT migrate_upgrade('head')").pluck().get(),
                     '002_add_invalid_responses');
  assert.strictEqual(db.prepare('SELECT count(*) FROM distmigrate_log').pluck().get(), 2);
  db.close();
});

test('downgrade to base undoes it exactly', () => {
  const db = new Database(freshDb());
  db.loadExtension(extension);
  db.prepare("SELECT migrate_upgrade('head')").get();
  assert.strictEqual(db.prepare('SELECT migrate_downgrade(-1)').pluck().get(), '001_initial_schema');
  assert.strictEqual(schema(db), referenceSchema('001_initial_schema'));
  assert.strictEqual(db.prepare("SELECT migrate_downgrade('base')").pluck().get(), null);
  assert.strictEqual(schema(db), referenceSchema('base'));
  db.close();
});

test('bad input throws the sentence a person reads and changes nothing', () => {
  const file = freshDb();
  const db = new Database(file);
  db.loadExtension(extension);
  db.prepare("SELECT migrate_upgrade('001')").get();
  db.close();
  const before = fs.readFileSync(file);
  const again = new Database(file);
  again.loadExtension(extension);
  assert.throws(() => again.prepare("SELECT migrate_upgrade('zzz')").get(),
                { code: 'SQLITE_ERROR', message: "Can't locate revision identified by 'zzz'" });
  assert.throws(() => again.prepare('SELECT migrate_downgrade(-2)').get(),
                { message: "Relative revision -2 didn't produce 2 migrations: the database " +
                           '(at 001_initial_schema) is only 1 step above base' });
  again.close();
  assert.deepStrictEqual(fs.readFileSync(file), before);
});

test('inside a better-sqlite3 transaction the run commits and rolls back with it', () => {
  const db = new Database(freshDb());
  db.loadExtension(extension);
  const migrateThenFail = db.transaction(() => {
    db.prepare("SELECT migrate_upgrade('head')").get();
    throw new Error('application failure after migrating');
  });
  assert.throws(migrateThenFail, /application failure/);
  assert.strictEqual(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'questions'").pluck().get(), 0);
  db.transaction(() => db.prepare("SELECT migrate_upgrade('head')").get())();
  assert.strictEqual(db.prepare('SELECT migrate_current()').pluck().get(), '002_add_invalid_responses');
  db.close();
});
