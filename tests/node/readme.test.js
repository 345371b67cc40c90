// The README's Node snippets (better-sqlite3, libsql, @libsql/client), read
// from README.md by their markers and run as written, each in a scratch
// directory by a node process of its own; `distmigrate` is found through
// LD_LIBRARY_PATH as an installed one is found in /usr/lib. Also the two
// facts about libSQL's packages the README states: libsql ignores .pluck(),
// and @libsql/client refuses to load an extension. Run by `make check-node`.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const Database = require('libsql');
const { createClient } = require('@libsql/client');

const build = path.resolve(process.env.DM_BUILD || 'build');
const head = '002_add_invalid_responses';

const dirs = [];
test.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function scratch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dm-node-readme-'));
  dirs.push(dir);
  return dir;
}

function snippet(name) {
  return execFileSync('sh', ['tests/snippet.sh', name], { encoding: 'utf8' });
}

// Run a snippet as a file of its own in dir; its stdout.
function runSnippet(name, dir) {
  fs.writeFileSync(path.join(dir, 'snippet.js'), snippet(name));
  return execFileSync(process.execPath, ['snippet.js'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, LD_LIBRARY_PATH: build },
  });
}

// sqlite_schema without distmigrate's log, whitespace folded.
function schema(file) {
  const db = new Database(file, { readonly: true });
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema " +
                          "WHERE name NOT LIKE 'distmigrate%' ORDER BY type, name").raw().all();
  db.close();
  return rows.map((r) => r.join('|').replace(/\s+/g, ' ')).join('\n');
}

function referenceSchema() {
  const db = new Database(':memory:');
  db.exec(fs.readFileSync(path.join('tests/alembic/reference', head + '.sql'), 'utf8'));
  const rows = db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY type, name').raw().all();
  db.close();
  return rows.map((r) => r.join('|').replace(/\s+/g, ' ')).join('\n');
}

for (const name of ['node-better-sqlite3', 'node-libsql', 'node-libsql-client']) {
  test(`README snippet ${name} migrates to head, as written`, () => {
    const dir = scratch();
    assert.strictEqual(runSnippet(name, dir), head + '\n');
    const file = path.join(dir, 'llm_distiller.db');
    assert.strictEqual(schema(file), referenceSchema());
    // The next start-up finds the database at head and writes nothing.
    const before = fs.readFileSync(file);
    assert.strictEqual(runSnippet(name, dir), head + '\n');
    assert.deepStrictEqual(fs.readFileSync(file), before);
  });
}

test('libsql ignores .pluck(): the row is an object, so the README uses .raw()', () => {
  const db = new Database(':memory:');
  db.loadExtension(path.join(build, 'distmigrate'));
  const row = db.prepare('SELECT migrate_heads()').pluck().get();
  assert.strictEqual(typeof row, 'object');
  assert.strictEqual(row['migrate_heads()'], head);
  assert.deepStrictEqual(db.prepare('SELECT migrate_heads()').raw().get(), [head]);
  db.close();
});

test('libsql throws the sentence a person reads', () => {
  const db = new Database(':memory:');
  db.loadExtension(path.join(build, 'distmigrate'));
  assert.throws(() => db.prepare("SELECT migrate_upgrade('002_add_invalid_respones')").get(),
                { code: 'SQLITE_ERROR',
                  message: "Can't locate revision identified by '002_add_invalid_respones'; " +
                           'did you mean 002_add_invalid_responses?' });
  db.close();
});

test('@libsql/client refuses load_extension: "not authorized"', async () => {
  const dir = scratch();
  const client = createClient({ url: 'file:' + path.join(dir, 'client.db') });
  await assert.rejects(
    client.execute({ sql: 'SELECT load_extension(?)', args: [path.join(build, 'distmigrate')] }),
    { code: 'SQLITE_ERROR', message: 'SQLITE_ERROR: not authorized' });
  assert.strictEqual(typeof client.loadExtension, 'undefined');
  client.close();
});
