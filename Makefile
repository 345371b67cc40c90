# distmigrate: schema migrations compiled into a SQLite extension.
#
#   make                       build/distmigrate.so carrying sql/versions/
#   make MIGRATIONS=dir        the same extension carrying another set
#   make migrate [DB=file]     build, then migrate DB (llm_distiller.db) to head
#   make test                  install what the tests need, build, run them all
#   make bench [N=200000]      time the seed's migration patterns on a large database
#   make install               $(DESTDIR)$(LIBDIR)/distmigrate.so
#   make revision MSG="..."    write the next migration file
#   make format / make lint

CC ?= cc
CFLAGS ?= -O2 -g
WARNINGS = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
ALL_CFLAGS = -std=c11 -D_POSIX_C_SOURCE=200809L $(WARNINGS) $(CFLAGS)
BUILD ?= build
MIGRATIONS ?= sql/versions
TEMPLATE ?= sql/script.sql.tmpl
DB ?= llm_distiller.db
# /usr/lib is on the dynamic loader's search path, so a plain sqlite3 shell
# finds it with ".load distmigrate"; /usr/local/lib is not (see README).
PREFIX ?= /usr
LIBDIR ?= $(PREFIX)/lib
# Debian's python3 can load extensions; some other builds (pyenv) cannot.
PYTHON ?= /usr/bin/python3

ENGINE = distmigrate revision runner history_vtab alter
ENGINE_H = $(wildcard ext/*.h)
GEN_SRC = ext/gen/dmgen.c ext/gen/parse.c ext/gen/sha256.c
FIXTURES = $(patsubst tests/fixtures/%/,%,$(sort $(dir $(wildcard tests/fixtures/*/*.sql))))
FIXTURE_SO = $(FIXTURES:%=$(BUILD)/fixtures/%/distmigrate.so)

.PHONY: all migrate test bench deps fixtures check-unit check-integration check-gen \
        check-shell check-python check-alembic install uninstall revision \
        format lint clean FORCE

all: $(BUILD)/distmigrate.so

# --- the generator and the compiled-in set ------------------------------

$(BUILD)/dmgen: $(GEN_SRC) ext/gen/parse.h ext/gen/sha256.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ $(GEN_SRC) -lsqlite3

# The set's directory is part of the build: another MIGRATIONS= rebuilds.
$(BUILD)/migrations.dir: FORCE
	@mkdir -p $(@D)
	@echo '$(MIGRATIONS)' | cmp -s - $@ || echo '$(MIGRATIONS)' > $@

$(BUILD)/migrations.c: $(BUILD)/dmgen $(BUILD)/migrations.dir $(MIGRATIONS) $(wildcard $(MIGRATIONS)/*.sql)
	$(BUILD)/dmgen $(MIGRATIONS) $@.tmp && mv $@.tmp $@

# --- the extension --------------------------------------------------------

$(BUILD)/obj/%.o: ext/%.c $(ENGINE_H)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -Iext -c -o $@ $<

$(BUILD)/migrations.o: $(BUILD)/migrations.c ext/migrations.h
	$(CC) $(ALL_CFLAGS) -fPIC -fvisibility=hidden -Iext -c -o $@ $<

ENGINE_OBJ = $(ENGINE:%=$(BUILD)/obj/%.o)

$(BUILD)/distmigrate.so: $(ENGINE_OBJ) $(BUILD)/migrations.o
	$(CC) $(ALL_CFLAGS) -shared -o $@ $^

# Fixture sets under tests/fixtures/NAME/ give build/fixtures/NAME/distmigrate.so.
.SECONDEXPANSION:
$(BUILD)/fixtures/%/migrations.c: $(BUILD)/dmgen tests/fixtures/% $$(wildcard tests/fixtures/$$*/*.sql)
	@mkdir -p $(@D)
	$(BUILD)/dmgen tests/fixtures/$* $@.tmp && mv $@.tmp $@

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

revision: $(BUILD)/dmgen
	@test -n "$(MSG)" || { echo 'usage: make revision MSG="add foo to questions"' >&2; exit 2; }
	$(BUILD)/dmgen --revision $(MIGRATIONS) $(TEMPLATE) "$(MSG)"

# --- tests ------------------------------------------------------------------

# Installs what is missing on Debian (as root, or through sudo).
deps:
	@sh tests/deps.sh all
deps-build:
	@sh tests/deps.sh build

UNIT_CFLAGS = $(ALL_CFLAGS) -DSQLITE_CORE -Iext -Iext/gen
UNIT_SETS = chain graph

$(BUILD)/unit/set_%.c: $(BUILD)/dmgen $$(wildcard tests/fixtures/$$*/*.sql)
	@mkdir -p $(@D)
	$(BUILD)/dmgen tests/fixtures/$* $@.tmp dm_set_$* && mv $@.tmp $@

$(BUILD)/unit/test_parse: tests/unit/test_parse.c ext/gen/parse.c ext/gen/sha256.c ext/gen/parse.h
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_parse.c ext/gen/parse.c ext/gen/sha256.c -lcmocka

$(BUILD)/unit/test_revision: tests/unit/test_revision.c ext/revision.c $(ENGINE_H) $(UNIT_SETS:%=$(BUILD)/unit/set_%.c)
	$(CC) $(UNIT_CFLAGS) -o $@ tests/unit/test_revision.c ext/revision.c \
	  $(UNIT_SETS:%=$(BUILD)/unit/set_%.c) -lcmocka -lsqlite3

$(BUILD)/tests/test_extension: tests/integration/test_extension.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_extension.c -lcmocka -lsqlite3

$(BUILD)/tests/test_alter: tests/integration/test_alter.c tests/integration/harness.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -o $@ tests/integration/test_alter.c -lcmocka -lsqlite3

check-unit: $(BUILD)/unit/test_parse $(BUILD)/unit/test_revision
	$(BUILD)/unit/test_parse
	$(BUILD)/unit/test_revision

check-gen: $(BUILD)/dmgen
	sh tests/gen/run.sh $(BUILD)/dmgen

check-integration: all fixtures $(BUILD)/tests/test_extension $(BUILD)/tests/test_alter
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_extension
	DM_BUILD=$(BUILD) $(BUILD)/tests/test_alter

check-shell: all fixtures
	DM_BUILD=$(BUILD) sh tests/shell/test_shell.sh

check-python: all fixtures
	DM_BUILD=$(BUILD) $(PYTHON) -m unittest discover -s tests/python -p 'test_*.py'

test: deps
	$(MAKE) all fixtures
	$(MAKE) check-unit check-gen check-integration check-shell check-python

# Not part of test or CI: a large database, the seed's patterns through the
# extension against plain SQL through the sqlite3 shell (tests/bench/).
# make bench N=20000 for a smaller one; BENCH_RUNS runs per figure.
N ?= 200000
BENCH_RUNS ?= 3
bench: deps
	$(MAKE) all fixtures $(BUILD)/bench/rss
	$(PYTHON) tests/bench/bench.py --build $(BUILD) --n $(N) --runs $(BENCH_RUNS)

$(BUILD)/bench/rss: tests/bench/rss.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -D_GNU_SOURCE -o $@ tests/bench/rss.c

# --- housekeeping -------------------------------------------------------------

C_SOURCES = $(wildcard ext/*.c ext/*.h ext/gen/*.c ext/gen/*.h tests/*/*.c tests/*/*.h)

format:
	clang-format -i $(C_SOURCES)

lint:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	  --inline-suppr -Iext -Iext/gen ext ext/gen

clean:
	rm -rf $(BUILD)

FORCE:
