# Gantry: make run (mock the bundled example API), make test (every check), make bench.
GO            ?= go
STATICCHECK   ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
BIN           := bin
GANTRY        := $(BIN)/gantry
LISTEN        ?= 127.0.0.1:4010
EXAMPLE       ?= docs/examples/petstore-expanded.yaml
PKGS          := ./...
WAILS         ?= $(shell $(GO) env GOPATH)/bin/wails
WAILS_VERSION := v2.16.0
DESKTOP_TAGS  ?= webkit2_41
DESKTOP       := build/bin/gantry-desktop
NPM_STAMP     := frontend/node_modules/.package-lock.json

.PHONY: run build cli test lint vet fmt-check staticcheck unit nocgo bench bench-go bench-mock bench-gateway fuzz clean \
	frontend frontend-test desktop desktop-dev wails

## run: build the CLI and mock the bundled example API (prints its URL; Ctrl-C stops)
run: cli
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

## test: formatting, vet, staticcheck, race-enabled tests, and a cgo-free CLI build
test: lint unit nocgo

lint: fmt-check vet staticcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet $(PKGS)

staticcheck:
	$(STATICCHECK) $(PKGS)

unit:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

nocgo:
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/gantry

## bench: Go benchmarks, then the loopback load comparison against Prism and a static handler
bench: bench-go bench-mock bench-gateway

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -count 1 ./core/... ./embedded-gateway/...

bench-mock: cli
	$(GO) run ./cmd/gantry-bench -gantry $(GANTRY)

## bench-gateway: proxying with policies against nginx (Debian nginx-light) and Go's stock proxy
bench-gateway: cli
	$(GO) run ./cmd/gantry-bench -mode gateway -gantry $(GANTRY)

## fuzz: run every fuzz target for FUZZTIME each
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./core/spec
	$(GO) test -run '^$$' -fuzz '^FuzzLookup$$' -fuzztime $(FUZZTIME) ./embedded-gateway/route
	$(GO) test -run '^$$' -fuzz '^FuzzAdd$$' -fuzztime $(FUZZTIME) ./embedded-gateway/route
	$(GO) test -run '^$$' -fuzz '^FuzzPattern$$' -fuzztime $(FUZZTIME) ./embedded-gateway/mock
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./core/har

clean:
	rm -rf $(BIN) build/bin frontend/dist
