#!/usr/bin/env bash
# Builds the libFuzzer targets (Deploy/Fuzz/*) with the fuzzer and address sanitizers and runs each for RUNS
# executions (default 1,000,000), seeded with the published vectors. Not part of `make test`.
#
# Usage: Deploy/Scripts/fuzz.sh [RUNS] [TARGET...]     TARGET: Codec, ICS23 (default: both)
# A crash leaves its input in .build-fuzz/crashes/; rerun it with .build-fuzz/release/Fuzz<T> <file>.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs="${1:-1000000}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(Codec ICS23)
scratch=.build-fuzz

# The seed corpus: the ICS-23 vector proofs as raw protobuf, and a canonical encoding.
mkdir -p "$scratch/corpus/ICS23" "$scratch/corpus/Codec" "$scratch/crashes"
for vector in Tests/Vectors/ics23/testdata/*/*.json; do
    hex=$(sed -n 's/.*"proof": *"\([0-9a-fA-F]*\)".*/\1/p' "$vector")
    [ -n "$hex" ] || continue
    name="$(basename "$(dirname "$vector")")-$(basename "$vector" .json)"
    printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" >"$scratch/corpus/ICS23/$name"
done
printf '%b' '\x01\x02\x01\x03\x00\x00\x00\x10\xa5\xd4\xe8\x00\x00\x00\xfe\xff\xff\xff\xff\xff\xff\xff\x03aic\x02\xde\xad' \
    >"$scratch/corpus/Codec/seed"

for target in "${targets[@]}"; do
    echo "== building Fuzz$target"
    AETHER_FUZZ=1 swift build -c release --scratch-path "$scratch" --sanitize fuzzer --sanitize address \
        --product "Fuzz$target"
    echo "== running Fuzz$target for $runs executions"
    "$scratch/release/Fuzz$target" -runs="$runs" -max_len=4096 -print_final_stats=1 \
        -artifact_prefix="$scratch/crashes/$target-" "$scratch/corpus/$target" 2>&1 | tail -n 25
done
