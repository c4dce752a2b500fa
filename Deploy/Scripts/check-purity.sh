#!/usr/bin/env bash
# Keeps the pure cores pure and the C libraries behind their wrappers (Docs/adr/0004-purity-checks.md).
#
# 1. A pure target imports only the modules on its allowlist: no Foundation, no NIO, no storage
#    engine, no system library (Glibc, Dispatch), so it cannot touch files, sockets or threads.
# 2. A pure target reads no clock and does not sleep (ContinuousClock, SuspendingClock, Task.sleep,
#    .now): time enters as a value.
# 3. Each C library (every module under L1/System) is imported by exactly one wrapper file. The
#    benchmark baselines file is the one documented exception: it calls the C libraries directly to
#    measure what our wrappers cost.
#
# Usage: check-purity.sh [ROOT]        check the tree at ROOT (default: the repository)
#        check-purity.sh --self-test   prove the checks catch each kind of violation
set -uo pipefail

# Pure target folders and the modules each may import.
declare -A PURE_TARGETS=(
    [L1/Primitives]="Crypto CSodium CSecp256k1 COpenSSL"
    [L1/Storage/Core]="Primitives Synchronization"
    [L1/Chain]="Primitives Storage Synchronization"
    [L1/Consensus]="Primitives"
    [L1/Application]="Primitives Consensus Chain Storage"
    [L1/Simulator]="Primitives Consensus Chain Storage Application"
    [L1/Configuration]="Primitives"
    [L1/Network/Core]="Primitives Crypto"
    [L1/Staking]="Primitives Storage Chain Consensus ChainConfiguration Synchronization DataAvailabilityModule ChannelAdjudicator SettlementModule"
    [L1/Settlement]="Primitives Chain Storage Settlement EVM"
    [L1/DataAvailability/Module]="Primitives Chain Storage DataAvailability"
    [L1/DataAvailability/Core]="Primitives CIsal"
    [Bridge/EVM/Core]="Primitives"
    [Bridge/Settlement]="Primitives EVM Solana"
    [Bridge/Solana/Core]="Primitives"
    [Channels/Core]="Primitives"
    [Channels/Metering]="Primitives ChannelCore"
    [Channels/Adjudicator]="Primitives ChannelCore ChannelMetering Chain Storage"
    [Channels/Watchtower]="Primitives ChannelCore ChannelAdjudicator"
)

# C module -> the one file allowed to import it.
declare -A C_WRAPPERS=(
    [CSodium]="L1/Primitives/Signatures/Sodium.swift"
    [CSecp256k1]="L1/Primitives/Signatures/Secp256k1.swift"
    [CRocksDB]="L1/Storage/RocksDB/RocksDBStore.swift"
    [COpenSSL]="L1/Primitives/Hashing/NodeHasher.swift"
    [CIsal]="L1/DataAvailability/Core/Coding/ISALCodec.swift"
)
BASELINES="Deploy/Benchmarks/Baselines.swift"

# Prints "file:line:module" for every import in the Swift files under $1 (comments removed).
imports_in() {
    find "$1" -name '*.swift' -print0 | sort -z | xargs -0 -r awk '
        { line = $0; sub(/\/\/.*$/, "", line) }
        line ~ /^[[:space:]]*(@[A-Za-z_]+[[:space:]]+)*((public|package|internal|fileprivate|private)[[:space:]]+)?import[[:space:]]/ {
            n = split(line, words, /[[:space:]]+/)
            for (i = 1; i <= n; i++) if (words[i] == "import") break
            module = words[i + 1]
            if (module ~ /^(struct|class|enum|protocol|typealias|func|var|let)$/) module = words[i + 2]
            sub(/\..*$/, "", module)
            print FILENAME ":" FNR ":" module
        }'
}

check() {
    local root="$1" failures=0
    cd "$root" || return 2

    for target in "${!PURE_TARGETS[@]}"; do
        [ -d "$target" ] || { echo "purity: pure target $target is missing"; failures=$((failures + 1)); continue; }
        local allowed=" ${PURE_TARGETS[$target]} "
        while IFS=: read -r file line module; do
            [ -n "$module" ] || continue
            if [[ "$allowed" != *" $module "* ]]; then
                echo "purity: $file:$line imports $module, which pure target $target may not use"
                failures=$((failures + 1))
            fi
        done < <(imports_in "$target")

        while IFS= read -r hit; do
            echo "purity: $hit reads a clock or sleeps in pure target $target (pass time in as a value)"
            failures=$((failures + 1))
        done < <(find "$target" -name '*.swift' -print0 | xargs -0 -r grep -nE \
            '^[^/]*\b(ContinuousClock|SuspendingClock|Task\.sleep|DispatchTime|Date\(\)|clock_gettime|gettimeofday)\b|^[^/]*\.now\b')
    done

    for module_dir in L1/System/*/; do
        local module
        module=$(basename "$module_dir")
        if [ -z "${C_WRAPPERS[$module]+set}" ]; then
            echo "purity: C module $module has no wrapper entry in check-purity.sh"
            failures=$((failures + 1))
        fi
    done

    while IFS=: read -r file line module; do
        [ -n "${C_WRAPPERS[$module]+set}" ] || continue
        file="${file#./}"
        if [ "$file" != "${C_WRAPPERS[$module]}" ] && [ "$file" != "$BASELINES" ]; then
            echo "purity: $file:$line imports C module $module; only ${C_WRAPPERS[$module]:-the benchmark baselines} may"
            failures=$((failures + 1))
        fi
    done < <(for folder in L1 AppChains Bridge Channels Deploy Tests; do [ -d "$folder" ] && imports_in "./$folder"; done)

    if [ "$failures" -gt 0 ]; then
        echo "purity: $failures problem(s)"
        return 1
    fi
    echo "purity: ok (${#PURE_TARGETS[@]} pure targets, ${#C_WRAPPERS[@]} C modules behind their wrappers)"
}

self_test() {
    local scratch repo
    repo=$(cd "$(dirname "$0")/../.." && pwd)
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' RETURN
    local cases=(
        "L1/Primitives/Bad.swift|import Foundation"
        "L1/Primitives/Bad.swift|public import NIOCore"
        "L1/Storage/Core/Bad.swift|@testable import RocksDBStorage"
        "L1/Primitives/Bad.swift|let start = ContinuousClock.now"
        "L1/Primitives/Bad.swift|func wait() async throws { try await Task.sleep(for: .seconds(1)) }"
        "L1/Primitives/Codec/Bad.swift|internal import CSodium"
        "Deploy/CLI/Bad.swift|import CRocksDB"
    )
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard -- L1 AppChains Bridge Channels Deploy Tests \
        | xargs -0 -I{} cp --parents {} "$scratch") || return 2
    if ! (check "$scratch" >/dev/null); then
        echo "purity self-test: the clean tree should pass"
        return 1
    fi
    for entry in "${cases[@]}"; do
        local file="${entry%%|*}" code="${entry#*|}"
        mkdir -p "$scratch/$(dirname "$file")"
        printf '%s\n' "$code" >"$scratch/$file"
        if (check "$scratch" >/dev/null); then
            echo "purity self-test: '$code' in $file was not caught"
            return 1
        fi
        rm "$scratch/$file"
    done
    echo "purity self-test: ok (${#cases[@]} violations caught)"
}

if [ "${1:-}" = "--self-test" ]; then
    self_test
else
    check "${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
fi
