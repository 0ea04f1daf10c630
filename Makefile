# Targets documented with "## name: description" are listed by `make help`.
GO ?= go
# Linters at pinned versions, fetched by the go command on first use.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
DEADCODE ?= $(GO) run golang.org/x/tools/cmd/deadcode@v0.52.0
# The version "rlbench version" prints and results files record: the
# nearest tag, commits since and the commit (v1.2.0-3-gabc1234-dirty), or
# the commit alone before the first tag. Outside a git checkout it is empty
# and rlbench falls back to the version Go's build information holds.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)
LDFLAGS := -X main.version=$(VERSION)

.DEFAULT_GOAL := help

## help: list the targets
.PHONY: help
help:
	@echo 'Usage: make <target>'
	@echo
	@echo 'Targets:'
	@sed -n 's/^## //p' $(MAKEFILE_LIST) | awk '{ i = index($$0, ": "); printf "  %-8s %s\n", substr($$0, 1, i - 1), substr($$0, i + 2) }'

## build: build bin/rlbench
.PHONY: build
build:
	$(GO) build -ldflags '$(LDFLAGS)' -o bin/rlbench ./cmd/rlbench

## run: run every algorithm against the embedded default Redis
.PHONY: run
run:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/rlbench run --algo all

## test: run all tests with the race detector (the command CI uses)
.PHONY: test
test:
	$(GO) test -race -count=1 ./...

## race: same as test
.PHONY: race
race: test

## vet: run go vet
.PHONY: vet
vet:
	$(GO) vet ./...

## lint: go vet, gofmt, staticcheck, and no dead code outside the test helpers
.PHONY: lint
lint: vet
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then \
		echo 'These files need gofmt -w:'; echo "$$unformatted"; exit 1; \
	fi
	$(STATICCHECK) ./...
	@dead="$$($(DEADCODE) ./... | grep -v -e '^internal/redistest/')"; \
	if [ -n "$$dead" ]; then \
		echo 'Dead code: no command reaches these (internal/redistest serves tests only):'; echo "$$dead"; exit 1; \
	fi

## difftest: each script beside its model on DIFFTEST_CALLS random calls per algorithm, on redis-server and miniredis
# miniredis runs a fresh Lua interpreter per call: its half takes most of
# the time. One backend alone: RUN=TestDifferential/redis-server (or /miniredis).
DIFFTEST_CALLS ?= 1000000
RUN ?= TestDifferential
.PHONY: difftest
difftest:
	$(GO) test -count=1 -timeout 4h -run '$(RUN)' -v ./algorithms/ -difftest.calls $(DIFFTEST_CALLS)

## check: lint and test
.PHONY: check
check: lint test

## bench: run Go benchmarks (no tests)
.PHONY: bench
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## perf: rlbench's own cost against redis-benchmark and redis_rate: one table of goals, met or not
# PERF_REPS (5), PERF_REQUESTS (100000) and PERF_OUT=DIR, from the
# environment or the command line (make perf PERF_REPS=3). A repetition
# takes one to two minutes on 2 cores: run it on a quiet machine. It
# fetches go-redis/redis_rate into a throwaway module, never vendored.
.PHONY: perf
perf:
	scripts/perf.sh

## ci-bench: short bench on a local redis-server, compared with results/ci-baseline
.PHONY: ci-bench
ci-bench:
	scripts/ci-bench.sh

## clean: remove build output
.PHONY: clean
clean:
	rm -rf bin
