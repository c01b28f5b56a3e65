# Each target does its own set-up, so that a fresh machine needs nothing else.
# CI (.ci/run) calls `make test`, the same command the README gives.

GO ?= go
FUZZTIME ?= 20s

.PHONY: test fmt-check vet unit cluster fuzz bench

test: fmt-check vet unit cluster fuzz

fmt-check:
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

unit:
	$(GO) test -race -count=1 ./...

# The NATS scale-out is a module of its own (cluster/), so that the root
# module's users download no NATS; its tests run an embedded nats-server.
cluster:
	cd cluster && $(GO) vet ./... && $(GO) test -race -count=1 ./...

# A short run of every fuzz target, on top of their seeds that `unit` runs.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) bash .ci/fuzz

bench:
	$(GO) run ./cmd/ltbench -suite engine
	$(GO) run ./cmd/ltbench -suite pages
	$(GO) run ./cmd/ltbench -suite ws
