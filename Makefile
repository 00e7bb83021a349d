# The two commands of the README: `make demo` (a local testnet telling the story so far) and
# `make test` (every test). Both install what is missing first.
SWIFT ?= swift

.PHONY: all deps build test demo bench bench-scale sim gen-proto vectors clean

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

# Every suite but Scale, whose setup (a million TCCs) takes minutes: that one is `make bench-scale`.
bench: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --skip-target Scale

# A TCF with OMS_SCALE_N TCCs (default 1,000,000; BENCHMARKS.md, "TCC scale").
bench-scale: deps
	cd Benchmarks && $(SWIFT) package --allow-writing-to-package-directory benchmark --target Scale

# The gossip simulator (BENCHMARKS.md, "Membership at scale"), built in release: two crashes in
# 1,000, 10,000 and 100,000 nodes without loss, then five minutes of 10% loss in 32, 100 and 300
# nodes (three seeds each), crashed nodes restarting 30 s later in 1,000 and 10,000 nodes (churn);
# then one manifest spreading through 1,000 to 100,000 nodes, with and
# without 10% loss; tables, and .build/sim.csv and .build/spread.csv.
sim: deps
	$(SWIFT) build -c release --product oms-sim
	rm -f .build/sim.csv
	for n in 1000 10000 100000; do \
	    .build/release/oms-sim --nodes $$n --crashes 2 --duration 60 --csv .build/sim.csv || exit 1; done
	for n in 32 100 300; do \
	    .build/release/oms-sim --nodes $$n --crashes 1 --loss 0.1 --duration 300 --runs 3 --csv .build/sim.csv || exit 1; done
	for n in 1000 10000; do \
	    .build/release/oms-sim --nodes $$n --crashes 2 --rejoin-after 30 --duration 60 --runs 3 --csv .build/sim.csv || exit 1; done
	rm -f .build/spread.csv
	for loss in 0 0.1; do for n in 1000 10000 100000; do \
	    .build/release/oms-sim dissemination --nodes $$n --loss $$loss --duration 20 --runs 3 --csv .build/spread.csv || exit 1; done; done

gen-proto:
	scripts/gen-proto

vectors:
	python3 protocol-spec/vectors/generate.py

clean:
	rm -rf .build testnet/.run

# Builds every fuzzer in Fuzz/ and runs each for FUZZ_TIME seconds (Fuzz/README.md). New inputs
# go to Fuzz/.build-fuzz/corpus/, crashes to Fuzz/.build-fuzz/crash-*; Fuzz/Corpus/ stays as committed.
FUZZERS = FuzzEnvelope FuzzFrameStream FuzzHandshakePayload FuzzIdentifiers FuzzIdentityObjects FuzzExchange FuzzIngest FuzzCommunity FuzzGossip FuzzMigration
FUZZ_TIME ?= 60
.PHONY: fuzz
fuzz: deps
	for f in $(FUZZERS); do \
	    $(SWIFT) build --package-path Fuzz --product $$f -c debug --sanitize fuzzer --sanitize address \
	        -Xswiftc -sanitize=fuzzer,address --build-path Fuzz/.build-fuzz || exit 1; \
	done
	for f in $(FUZZERS); do \
	    mkdir -p Fuzz/.build-fuzz/corpus/$$f && \
	    SWIFT_BACKTRACE=enable=no Fuzz/.build-fuzz/debug/$$f -max_total_time=$(FUZZ_TIME) -max_len=70000 \
	        -print_final_stats=1 -artifact_prefix=Fuzz/.build-fuzz/crash-$$f- \
	        Fuzz/.build-fuzz/corpus/$$f Fuzz/Corpus/$$f || exit 1; \
	done
