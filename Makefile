# Carnet — the two commands are `make run` and `make test`.
# Build outputs and tools live outside the clone (see .ci/env.sh), so later runs reuse them.
SHELL := /bin/bash
ENV := . .ci/env.sh &&

.PHONY: run test build e2e bench bootstrap check clean-data

## run: set up what is missing, build, prepare the demo database and serve on :3000
run:
	.ci/bootstrap build
	$(ENV) cargo leptos build
	$(ENV) DATABASE_URL=$${DATABASE_URL:-sqlite://data/carnet.db} "$$CARGO_TARGET_DIR/debug/carnet" demo
	$(ENV) DATABASE_URL=$${DATABASE_URL:-sqlite://data/carnet.db} exec "$$CARGO_TARGET_DIR/debug/carnet" serve

## test: unit, integration (SQLite + PostgreSQL) and end-to-end (Chromium) tests
test:
	.ci/bootstrap all
	.ci/test

## e2e: only the end-to-end tests
e2e:
	.ci/bootstrap all
	.ci/test e2e

## build: release binary `carnet` and the site, under $CARGO_TARGET_DIR
build:
	.ci/bootstrap build
	$(ENV) cargo leptos build --release
	@$(ENV) echo "binary: $$CARGO_TARGET_DIR/release/carnet"; echo "site:   $$CARGO_TARGET_DIR/site"

## bench: seeding rate, list latency, partner API throughput, engagement, imports (SQLite and PostgreSQL)
bench:
	.ci/bootstrap all
	bench/seed.sh
	bench/list.sh
	bench/partner_api.sh
	bench/engagement.sh
	bench/import.sh

## check: fast compile check of the server side
check:
	$(ENV) cargo check -p server

clean-data:
	rm -rf data
