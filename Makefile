# pg_webhooks: build the extension install script from sql/, the worker from
# outbox-worker/, install both, and run every test against a throwaway cluster.

EXTENSION    = pg_webhooks
VERSION      = $(shell sed -n "s/^default_version *= *'\(.*\)'/\1/p" extension/$(EXTENSION).control)
INSTALL_SQL  = extension/$(EXTENSION)--$(VERSION).sql
SQL_SOURCES  = $(addprefix sql/,$(shell grep -v '^\#' sql/manifest.txt))
# Code (functions, triggers, views, grants) is every manifest entry outside
# sql/schema/; each such file can run again over an older install (CREATE OR
# REPLACE), which is how an upgrade brings the code up to date.
CODE_SOURCES = $(filter-out sql/schema/%,$(SQL_SOURCES))
# migrations/ holds the upgrade scripts (A--B) and, frozen at each release,
# that release's full install script, so every released version can be
# installed and upgraded from.
MIGRATIONS   = $(filter-out migrations/$(EXTENSION)--$(VERSION).sql,$(wildcard migrations/$(EXTENSION)--*.sql))
# The unreleased version's upgrade script, from the newest release before it,
# is generated while the version is in development: the hand-written part
# (sql/upgrade/from-<previous>.sql: table changes, dropped or re-typed
# objects) followed by all of the code. `make release` freezes it.
PREVIOUS     = $(lastword $(filter-out $(VERSION),$(shell ls migrations 2>/dev/null | sed -nE 's/^$(EXTENSION)--([0-9.]+)\.sql$$/\1/p' | sort -V)))
UPGRADE_SRC  = sql/upgrade/from-$(PREVIOUS).sql
UPGRADE_SQL  = $(if $(wildcard $(UPGRADE_SRC)),extension/$(EXTENSION)--$(PREVIOUS)--$(VERSION).sql)
WORKER_BUILD = build/worker
PG_CONFIG   ?= pg_config
SHAREDIR     = $(shell $(PG_CONFIG) --sharedir)
BINDIR      ?= /usr/local/bin

.PHONY: all sql worker install deps test demo release clean

all: sql worker

sql: $(INSTALL_SQL) $(UPGRADE_SQL)

# The install script is generated, never committed: sql/ is the source.
$(INSTALL_SQL): sql/manifest.txt $(SQL_SOURCES) extension/$(EXTENSION).control
	@{ echo "-- $(EXTENSION) $(VERSION): generated from sql/ by make; do not edit"; \
	   for f in $(SQL_SOURCES); do echo; echo "-- $$f"; cat $$f; done; } > $@.tmp
	@mv $@.tmp $@
	@echo "built $@"

ifneq ($(UPGRADE_SQL),)
$(UPGRADE_SQL): $(UPGRADE_SRC) sql/manifest.txt $(CODE_SOURCES) extension/$(EXTENSION).control
	@{ echo "-- $(EXTENSION) $(PREVIOUS) -> $(VERSION): generated from $(UPGRADE_SRC) and the code in sql/ by make; do not edit"; \
	   echo; cat $(UPGRADE_SRC); \
	   for f in $(CODE_SOURCES); do echo; echo "-- $$f"; cat $$f; done; } > $@.tmp
	@mv $@.tmp $@
	@echo "built $@"
endif

worker:
	cmake -S outbox-worker -B $(WORKER_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(WORKER_BUILD) -j2

install: all
	install -d $(SHAREDIR)/extension
	install -m 644 extension/$(EXTENSION).control $(INSTALL_SQL) $(UPGRADE_SQL) $(MIGRATIONS) $(SHAREDIR)/extension/
	install -m 755 $(WORKER_BUILD)/webhooks-worker $(BINDIR)/

deps:
	@scripts/install-deps

test: deps all install
	@tests/run

demo: deps all install
	@scripts/demo

# Freeze the current install script as released: from then on sql/ changes
# need a new version and an upgrade script (tests/shell/install_paths.t).
release: sql
	cp $(INSTALL_SQL) migrations/$(EXTENSION)--$(VERSION).sql
	@echo "froze migrations/$(EXTENSION)--$(VERSION).sql"
ifneq ($(UPGRADE_SQL),)
	cp $(UPGRADE_SQL) migrations/
	git rm -q $(UPGRADE_SRC)
	@echo "froze migrations/$(notdir $(UPGRADE_SQL))"
endif

clean:
	rm -rf build extension/$(EXTENSION)--*.sql
