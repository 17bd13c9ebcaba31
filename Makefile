# livenessd: build, fetch the models, run, test.
# The two set-up commands on a fresh Debian machine with Go: `make run` and `make test`.

GO      ?= go
BIN     := bin/livenessd
# onnxruntime_go loads libonnxruntime.so.1 with dlopen, which needs cgo (but
# no ONNX Runtime headers or library at link time).
export CGO_ENABLED := 1
SHELL   := /bin/bash

# `make run` serves from DATA_DIR (database, signing key, the demo token).
DATA_DIR ?= data
ADDR     ?= 127.0.0.1:8080

# Go files to format-check: all of them except anything in the model cache.
GOFILES = $(shell find . -path ./.git -prune -o -path ./models/cache -prune -o -name '*.go' -print)

.DEFAULT_GOAL := help
.PHONY: help deps test-deps build models run test bench fuzz fmt fmt-check vet clean distclean

help: ## list the targets
	@echo 'usage: make <target>'
	@echo
	@awk 'BEGIN {FS = ":.*## "} /^[a-z][a-z-]*:.*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps: ## install the missing Debian packages for building and running (gcc, npm, libvpx-dev)
	@command -v $(GO) >/dev/null 2>&1 || { echo "missing: go. Install Go 1.26 from https://go.dev/dl/ into /usr/local/go and add /usr/local/go/bin to PATH." >&2; exit 1; }
	@scripts/install-deps.sh build

test-deps: ## also install chromium and npm playwright-core for the browser tests
	@scripts/install-deps.sh test
	@if [ ! -d web/test/node_modules/playwright-core ]; then \
	  echo "installing playwright-core into web/test (npm ci)"; \
	  cd web/test && npm ci --no-audit --no-fund --loglevel=error; fi

build: ## build bin/livenessd and bin/testclient
	$(GO) build -o $(BIN) ./cmd/livenessd
	$(GO) build -o bin/testclient ./testclient

models: deps build ## fetch ONNX Runtime and the models into models/cache (sha256-verified; cache hits are silent)
	@$(BIN) fetch >/dev/null

# run makes a random token for client "demo" once (kept in $(DATA_DIR)/demo-token,
# mode 0600) unless LIVENESS_API_TOKENS is set, prints it and the URLs, then serves
# in demo mode (--dev: the page at / creates sessions without a token; never in
# production).
run: models ## fetch, build and serve the API and demo page on http://127.0.0.1:8080 (prints an access token)
	@mkdir -p -m 0750 $(DATA_DIR)
	@if [ -z "$$LIVENESS_API_TOKENS" ] && [ ! -s $(DATA_DIR)/demo-token ]; then \
	  (umask 077; head -c 24 /dev/urandom | base64 | tr '+/' '-_' > $(DATA_DIR)/demo-token); fi
	@token=$$(cat $(DATA_DIR)/demo-token 2>/dev/null); \
	if [ -z "$$LIVENESS_API_TOKENS" ]; then export LIVENESS_API_TOKENS="demo:$$token"; \
	  echo "Access token (client demo): $$token"; fi; \
	echo "Demo page:   http://$(ADDR)/   (camera check; demo mode: not for production)"; \
	echo "API docs:    http://$(ADDR)/openapi.yaml"; \
	echo "Try:         curl -s -H 'Accesstoken: '\$$(cat $(DATA_DIR)/demo-token) http://$(ADDR)/face-api/facegallery/my-facegalleries"; \
	exec $(BIN) serve --dev --addr $(ADDR) --data-dir $(DATA_DIR) --log-format text

# The inference and evaluate packages run verbosely so their accuracy tables
# (real models on ../shared/testdata) are printed; pipefail keeps a failing
# test fatal. The browser test runs alone, last: it plays clips in real time
# with the demo page's own 8 s step timeout, which the session suites running
# beside it on two cores could push past.
test: test-deps models vet fmt-check ## fetch, vet, check formatting, run every test (prints the accuracy tables)
	$(GO) test -count=1 -timeout 15m $$($(GO) list ./... | grep -vE '/(inference|evaluate|web)$$')
	set -o pipefail; $(GO) test -count=1 -timeout 15m -v ./inference/ ./evaluate/ | grep -vE '^=== (RUN|PAUSE|CONT)'
	LIVENESS_BROWSER_TESTS=1 $(GO) test -count=1 -timeout 15m ./web/
	$(MAKE) --no-print-directory fuzz FUZZ_TIME=20000x

# Every parser of client bytes has a fuzz target; `make test` runs each on
# 20,000 inputs (a count, not a duration: a timed run can end in "context
# deadline exceeded" while the workers are still starting), `make fuzz` for
# FUZZ_TIME (default 60 s).
FUZZ_TIME ?= 60s
FUZZ_TARGETS = server:FuzzCheckKeys mjpeg:FuzzReader inference:FuzzDecode rtc:FuzzCheckOffer rtc:FuzzAssembler liveness:FuzzImageBytes

fuzz: ## run every fuzz target for FUZZ_TIME each (default 60s)
	@set -eo pipefail; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; name=$${t##*:}; \
		echo "fuzz $$pkg $$name for $(FUZZ_TIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZ_TIME) ./$$pkg/ 2>&1 | grep -v "^fuzz: elapsed"; \
	done

bench: models ## fetch, then benchmark inference, REST, overload, VP8 decoding, the stores, WebRTC streams and concurrent sessions
	$(GO) test -run '^$$' -bench . -benchtime 200x ./inference/
	$(GO) test -run '^$$' -bench REST -benchtime 30x ./server/
	$(GO) test -run '^$$' -bench Overload -benchtime 1x ./server/
	$(GO) test -run '^$$' -bench . -benchtime 300x ./internal/vpx/
	$(GO) test -run '^$$' -bench EnrollFace -benchtime 300x ./store/sqlite/ ./store/postgres/
	scripts/bench-webrtc.sh bin
	scripts/bench-sessions.sh bin

fmt: ## gofmt every Go file in place
	@gofmt -l -w $(GOFILES)

fmt-check: ## fail if any Go file is not gofmt-formatted
	@out=$$(gofmt -l $(GOFILES)); \
	if [ -n "$$out" ]; then echo "not gofmt-formatted (run make fmt):" >&2; echo "$$out" >&2; exit 1; fi

vet: ## go vet ./...
	$(GO) vet ./...

clean: ## remove bin/ (the model cache stays)
	rm -rf bin

distclean: clean ## also remove the model cache (models/cache)
	rm -rf models/cache
