# Gantry: make run (build and open the desktop app), make test (every check), make bench.
GO            ?= go
STATICCHECK   ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN           := bin
GANTRY        := $(BIN)/gantry
LISTEN        ?= 127.0.0.1:4010
EXAMPLE       ?= docs/examples/petstore-expanded.yaml
PKGS          := ./...
# the packages whose sockets rawsock reads and writes, tested again without the race detector
RAWSOCK_PKGS  := ./embedded-gateway/rawsock/ ./embedded-gateway/h1server/ ./embedded-gateway/proxy/ ./embedded-gateway/server/
WAILS         ?= $(shell $(GO) env GOPATH)/bin/wails
WAILS_VERSION := v2.16.0
DESKTOP_TAGS  ?= webkit2_41
DESKTOP       := build/bin/gantry-desktop
NPM_STAMP     := frontend/node_modules/.package-lock.json

.PHONY: run mock build cli test lint vet fmt-check staticcheck unit nocgo bench bench-go bench-mock bench-gateway fuzz clean \
	frontend frontend-test desktop desktop-dev wails e2e smoke bench-desktop bench-cluster

## run: build the desktop app and open it on the workspace the CLI uses
## ($$GANTRY_DB, or DB=PATH, else the user's data dir)
run: desktop
	$(DESKTOP) $(if $(DB),--db $(DB))

## mock: headless: mock the bundled example API with the CLI (prints its URL; Ctrl-C stops)
mock: cli
	$(GANTRY) mock $(EXAMPLE) --listen $(LISTEN)

## build: everything that ships (the headless CLI, built without cgo)
build: cli

## desktop: the desktop app (Wails, WebKitGTK 4.1) at build/bin/gantry-desktop
desktop: frontend wails
	$(WAILS) build -s -m -skipbindings -tags $(DESKTOP_TAGS) -o gantry-desktop

## desktop-dev: a -tags dev build that serves the UI and the bound Go methods to a browser
## (-devserver ADDR -assetdir frontend/dist), for the end-to-end tests
desktop-dev: frontend
	@mkdir -p $(BIN)
	$(GO) build -tags dev,$(DESKTOP_TAGS) -o $(BIN)/gantry-desktop-dev .

wails:
	@test -x $(WAILS) || $(GO) install github.com/wailsapp/wails/v2/cmd/wails@$(WAILS_VERSION)

## frontend: the web UI (TypeScript, React, Vite) into frontend/dist
frontend: $(NPM_STAMP)
	cd frontend && npm run build

$(NPM_STAMP): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

## frontend-test: the UI's unit and component tests (Vitest)
frontend-test: $(NPM_STAMP)
	cd frontend && npm test

cli:
	@mkdir -p $(BIN)
	CGO_ENABLED=0 $(GO) build -trimpath -o $(GANTRY) ./cmd/gantry

## test: formatting, vet, staticcheck, race-enabled Go tests, a cgo-free CLI build, the UI's
## unit tests, the end-to-end tests in headless Chromium (against the in-browser fake and
## against the real Go services) and a smoke test of the built desktop app under Xvfb
test: lint unit nocgo frontend-test e2e smoke

## e2e: the UI's end-to-end specs, first against `vite preview` with the in-browser fake
## backend, then against the real services of a -tags dev desktop build
e2e: cli desktop-dev
	cd frontend && node e2e/run.mjs
	cd frontend && node e2e/desktop.mjs

## smoke: start the built desktop app under Xvfb and check that its window rendered
smoke: cli desktop
	cd frontend && node e2e/smoke.mjs

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(STATICCHECK) $(PKGS)

## unit: every package with the race detector, then the socket I/O packages again without
## it: under the race detector rawsock uses package syscall's calls (see its doc)
unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -timeout 10m $(RAWSOCK_PKGS)

nocgo:
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/gantry

## bench: Go benchmarks, then the loopback load comparison against Prism and a static handler
bench: bench-go bench-mock bench-gateway bench-desktop

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./core/... ./embedded-gateway/...

bench-mock: cli
	$(GO) run ./cmd/gantry-bench -gantry $(GANTRY)

## bench-desktop: cold start, large import from the UI, keystroke latency, inspector at 1,000/s
bench-desktop: cli desktop desktop-dev
	cd frontend && node e2e/bench.mjs

## bench-cluster: publish-to-visible on 3 nodes over 100 publishes, fan-out of one revision to
## 1,000 node streams against 1, memory per stream; a 1,000-API catalog's snapshot against a
## 1-API one (size, build on the server, apply on a node)
bench-cluster:
	$(GO) test ./sync/node/ -run '^$$' -bench 'PublishToVisible|FeedFanOut' -benchtime=100x -benchmem
	$(GO) test ./sync/node/ -run '^$$' -bench 'CatalogSnapshot' -benchtime=5x -benchmem

## bench-gateway: proxying with policies against nginx (Debian nginx-light) and Go's stock proxy
bench-gateway: cli
	$(GO) run ./cmd/gantry-bench -mode gateway -gantry $(GANTRY)

## fuzz: run every fuzz target of the module for FUZZTIME each
FUZZTIME ?= 30s
fuzz:
	@set -e; for f in $$(git ls-files '*_test.go' | xargs grep -l '^func Fuzz'); do \
		for t in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$f); do \
			echo "== $$t ./$$(dirname $$f)"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) ./$$(dirname $$f); \
		done; \
	done

clean:
	rm -rf $(BIN) build/bin frontend/dist
