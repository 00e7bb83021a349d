# The two commands of the README: `make demo` (a local testnet telling the story so far) and
# `make test` (every test). Both install what is missing first.
SWIFT ?= swift

.PHONY: all deps build test demo bench gen-proto vectors clean

all: build

deps:
	scripts/install-deps

build: deps
	$(SWIFT) build --product oms

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

demo: build
	testnet/demo

bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark

gen-proto:
	scripts/gen-proto

vectors:
	python3 protocol-spec/vectors/generate.py

clean:
	rm -rf .build testnet/.run
