# Each target does its own set-up, so that a fresh machine needs nothing else.
# CI (.ci/run) calls `make test`, the same command the README gives.

GO ?= go
FUZZTIME ?= 20s
# The library's module and the modules beside it that hold what its users
# should not download: the browser client's build and tests, the NATS
# scale-out (its tests run an embedded nats-server), the tools, the tus
# upload server.
MODULES ?= . client cluster cmd upload

.PHONY: test quick fmt-check vet unit fuzz bench chromium tscheck generate

test: fmt-check vet tscheck unit fuzz

# The edit-test loop: formatting, vet and every module's tests, without the
# race detector, Chromium, npm or fuzzing, and with -short (fewer random
# parity cases). Needs Go only (and the module proxy once). `make test` is
# what CI runs.
quick: fmt-check vet
	@set -e; for m in . cluster upload; do echo "test $$m"; (cd $$m && $(GO) test -short -count=1 -skip 'InBrowser$$' ./...); done
	@echo "test cmd (not the browser tests)"; cd cmd && $(GO) test -short -count=1 -skip 'InBrowser$$' ./...
	@echo "test client (the bundle, not the browser tests)"; cd client && $(GO) test -count=1 -run '^TestBundle' .

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	@set -e; for m in $(MODULES); do echo "vet $$m"; (cd $$m && $(GO) vet ./...); done

unit: chromium
	@set -e; for m in $(MODULES); do echo "test $$m"; (cd $$m && $(GO) test -race -count=1 ./...); done

# A short run of every fuzz target, on top of their seeds that `unit` runs.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz

# The browser tests run in Debian's Chromium: $CHROMIUM, else chromium on
# $PATH, else installed from Debian's packages (as root, or with sudo).
chromium:
	@[ -n "$$CHROMIUM" ] || command -v chromium >/dev/null || command -v chromium-browser >/dev/null || bash .ci/install-chromium

# TypeScript's strict type check of the client, and its declarations
# (client/types) as committed. esbuild, which bundles it, does not check types.
tscheck:
	cd client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check && npm run --silent types
	@if [ -n "$$(git status --porcelain -- client/types)" ]; then git status --short -- client/types; echo "client/types is stale: run make generate"; exit 1; fi

# Rebuilds what is generated from the client's sources.
generate:
	$(GO) generate ./...
	cd client && npm ci --no-audit --no-fund --loglevel=error && npm run --silent types

bench:
	$(GO) run ./cmd/ltbench -suite engine
	$(GO) run ./cmd/ltbench -suite pages
	$(GO) run ./cmd/ltbench -suite ws
	$(GO) run ./cmd/ltbench -suite client
	$(GO) run ./cmd/ltbench -suite cluster
	$(GO) run ./cmd/ltbench -suite demo
