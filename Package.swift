// swift-tools-version: 6.1
// The Aether package: one chain kit (L1/), app-chain framework (AppChains/), bridges (Bridge/),
// payment channels (Channels/) and the `aether` command (Deploy/). See Docs/architecture.md.

import PackageDescription

/// Settings every Swift target shares: Swift 6 mode plus the upcoming features STYLE.md asks for.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// A C library reached through a system-library target (module.modulemap + shim.h only).
func systemLibrary(_ name: String, pkgConfig: String, apt: String) -> Target {
    .systemLibrary(
        name: name,
        path: "L1/System/\(name)",
        pkgConfig: pkgConfig,
        providers: [.apt([apt])]
    )
}

let package = Package(
    name: "Aether",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "aether", targets: ["AetherCLI"]),
        .library(name: "Primitives", targets: ["Primitives"]),
        .library(name: "Storage", targets: ["Storage"]),
        .library(name: "RocksDBStorage", targets: ["RocksDBStorage"]),
        .library(name: "Keystore", targets: ["Keystore"]),
        .library(name: "DataAvailability", targets: ["DataAvailability"]),
        .library(name: "EVM", targets: ["EVM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: - C libraries (each imported by exactly one Swift wrapper file)
        systemLibrary("CSodium", pkgConfig: "libsodium", apt: "libsodium-dev"),
        systemLibrary("CSecp256k1", pkgConfig: "libsecp256k1", apt: "libsecp256k1-dev"),
        systemLibrary("CRocksDB", pkgConfig: "rocksdb", apt: "librocksdb-dev"),
        // OpenSSL: SHA-256 block functions for Merkle nodes, and benchmark baselines.
        systemLibrary("COpenSSL", pkgConfig: "libcrypto", apt: "libssl-dev"),
        // Intel ISA-L: the GF(2^8) Reed–Solomon coder of the data-availability square.
        systemLibrary("CIsal", pkgConfig: "libisal", apt: "libisal-dev"),

        // MARK: - Chain kit
        .target(
            name: "Primitives",
            dependencies: [
                "CSodium",
                "CSecp256k1",
                "COpenSSL",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "L1/Primitives",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Storage",
            dependencies: ["Primitives"],
            path: "L1/Storage/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "RocksDBStorage",
            dependencies: ["Storage", "CRocksDB"],
            path: "L1/Storage/RocksDB",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Consensus",
            dependencies: ["Primitives"],
            path: "L1/Consensus",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Chain",
            dependencies: ["Primitives", "Storage"],
            path: "L1/Chain",
            exclude: ["Modules/Accounts/README.md", "Modules/Bank/README.md"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "Application",
            dependencies: ["Consensus", "Chain", "Storage", "Primitives"],
            path: "L1/Application",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Simulator",
            dependencies: ["Application", "Consensus", "Chain", "Storage", "Primitives"],
            path: "L1/Simulator",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChainConfiguration",
            dependencies: ["Primitives"],
            path: "L1/Configuration",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Staking",
            dependencies: [
                "Primitives", "Storage", "Chain", "Consensus", "ChainConfiguration", "DataAvailabilityModule",
                "ChannelAdjudicator", "SettlementModule",
            ],
            path: "L1/Staking",
            exclude: ["README.md"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "NetworkCore",
            dependencies: ["Primitives", .product(name: "Crypto", package: "swift-crypto")],
            path: "L1/Network/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "PeerNetwork",
            dependencies: [
                "Primitives", "NetworkCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "L1/Network/Node",
            swiftSettings: strictSettings
        ),
        .target(
            name: "RPC",
            dependencies: [
                "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "L1/RPC",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Node",
            dependencies: [
                "Primitives", "Storage", "RocksDBStorage", "Consensus", "Chain", "Application", "Staking",
                "ChainConfiguration", "PeerNetwork", "NetworkCore", "RPC", "Keystore", "DataAvailability",
                "DataAvailabilityModule",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "L1/Node",
            swiftSettings: strictSettings
        ),
        .target(
            name: "DataAvailability",
            dependencies: ["Primitives", "CIsal"],
            path: "L1/DataAvailability/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "DataAvailabilityModule",
            dependencies: ["Primitives", "Chain", "Storage", "DataAvailability"],
            path: "L1/DataAvailability/Module",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Keystore",
            dependencies: ["Primitives"],
            path: "L1/Keystore",
            swiftSettings: strictSettings
        ),

        // MARK: - Bridge
        .target(
            name: "EVM",
            dependencies: ["Primitives"],
            path: "Bridge/EVM/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "BridgeRPC",
            dependencies: [
                "RPC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Bridge/RPC",
            swiftSettings: strictSettings
        ),
        .target(
            name: "EVMClient",
            dependencies: ["EVM", "BridgeRPC", "RPC", "Primitives", .product(name: "Logging", package: "swift-log")],
            path: "Bridge/EVM/Client",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Solana",
            dependencies: ["Primitives"],
            path: "Bridge/Solana/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SolanaClient",
            dependencies: ["Solana", "BridgeRPC", "RPC"],
            path: "Bridge/Solana/Client",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChainPeers",
            path: "Bridge/Peers",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Relayer",
            dependencies: [
                "Settlement", "SettlementModule", "EVM", "EVMClient", "Solana", "SolanaClient", "BridgeRPC", "RPC",
                "Storage", "Primitives",
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Bridge/Relayer",
            swiftSettings: strictSettings
        ),
        .target(
            name: "SettlementModule",
            dependencies: ["Chain", "Primitives", "Settlement", "EVM", "Storage"],
            path: "L1/Settlement",
            swiftSettings: strictSettings
        ),
        .target(
            name: "Settlement",
            dependencies: ["Primitives", "EVM", "Solana"],
            path: "Bridge/Settlement",
            swiftSettings: strictSettings
        ),

        // MARK: - Channels
        .target(
            name: "ChannelWire",
            dependencies: [
                "ChannelCore", "ChannelMetering", "PeerNetwork", "NetworkCore", "Storage", "Primitives",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Channels/Wire",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChannelWatchtower",
            dependencies: ["ChannelAdjudicator", "ChannelCore", "Primitives"],
            path: "Channels/Watchtower",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChannelAdjudicator",
            dependencies: ["ChannelCore", "ChannelMetering", "Chain", "Primitives", "Storage"],
            path: "Channels/Adjudicator",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChannelCore",
            dependencies: ["Primitives"],
            path: "Channels/Core",
            swiftSettings: strictSettings
        ),
        .target(
            name: "ChannelMetering",
            dependencies: ["Primitives", "ChannelCore"],
            path: "Channels/Metering",
            swiftSettings: strictSettings
        ),

        // MARK: - The `aether` command and its benchmarks
        .target(
            name: "Benchmarks",
            dependencies: [
                "Primitives", "Storage", "RocksDBStorage", "Simulator", "Consensus", "Chain", "Node", "RPC",
                "ChainConfiguration", "Staking", "DataAvailability", "CSodium", "CSecp256k1", "CRocksDB", "COpenSSL",
                "CIsal",
                "ChainPeers", "Relayer", "Settlement", "EVM", "EVMClient", "Solana", "SolanaClient", "BridgeRPC",
                "ChannelCore", "ChannelMetering", "ChannelWire", "PeerNetwork",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Deploy/Benchmarks",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "AetherCLI",
            dependencies: [
                "Primitives", "Storage", "RocksDBStorage", "Keystore", "Benchmarks", "Simulator", "Node", "RPC",
                "ChainConfiguration", "Chain", "Staking", "DataAvailability", "DataAvailabilityModule",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                "Settlement", "SettlementModule", "Relayer", "EVMClient", "EVM", "Solana", "SolanaClient",
                "ChannelAdjudicator", "ChannelWatchtower", "ChannelCore", "ChannelMetering", "ChannelWire",
                "PeerNetwork", "NetworkCore",
            ],
            path: "Deploy/CLI",
            swiftSettings: strictSettings
        ),

        // MARK: - Tests
        .executableTarget(
            name: "StorageCrashWriter",
            dependencies: ["Storage", "RocksDBStorage"],
            path: "Tests/Support/StorageCrashWriter",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PrimitivesTests",
            dependencies: ["Primitives"],
            path: "Tests/PrimitivesTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "RocksDBStorage", "Primitives"],
            path: "Tests/StorageTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConsensusTests",
            dependencies: ["Consensus", "Simulator", "Primitives"],
            path: "Tests/ConsensusTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChainTests",
            dependencies: ["Chain", "Primitives", "Storage"],
            path: "Tests/ChainTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ConfigurationTests",
            dependencies: ["ChainConfiguration", "Primitives"],
            path: "Tests/ConfigurationTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "Application", "Chain", "Consensus", "Staking", "ChainConfiguration", "Storage",
                "RocksDBStorage",
                "Primitives",
            ],
            path: "Tests/NodeTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "StakingTests",
            dependencies: [
                "Staking", "ChainConfiguration", "Chain", "Consensus", "Storage", "Primitives", "DataAvailability",
                "DataAvailabilityModule", "ChannelAdjudicator", "ChannelWatchtower", "ChannelCore", "ChannelMetering",
                "SettlementModule", "Settlement", "EVM",
            ],
            path: "Tests/StakingTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "NetworkTests",
            dependencies: [
                "PeerNetwork", "NetworkCore", "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            path: "Tests/NetworkTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RPCTests",
            dependencies: [
                "RPC", "Primitives",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/RPCTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "DataAvailabilityTests",
            dependencies: ["DataAvailability", "Primitives"],
            path: "Tests/DataAvailabilityTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "KeystoreTests",
            dependencies: ["Keystore", "Primitives"],
            path: "Tests/KeystoreTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EVMTests",
            dependencies: ["EVM", "Primitives"],
            path: "Tests/EVMTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SettlementPeerTests",
            dependencies: [
                "Relayer", "Settlement", "EVMClient", "BridgeRPC", "EVM", "Solana", "SolanaClient", "Storage",
                "Primitives", "ChainPeers", "RPC", "SettlementModule", "Chain",
            ],
            path: "Tests/SettlementPeerTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SolanaTests",
            dependencies: ["Solana", "Primitives"],
            path: "Tests/SolanaTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SettlementTests",
            dependencies: ["Settlement", "EVM", "Primitives"],
            path: "Tests/SettlementTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChannelsTests",
            dependencies: [
                "ChannelCore", "ChannelMetering", "ChannelWire", "Storage", "RocksDBStorage", "PeerNetwork",
                "Primitives",
            ],
            path: "Tests/ChannelsTests",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "Primitives", "Storage", "RocksDBStorage", "StorageCrashWriter", "AetherCLI", "RPC", "Chain", "Node",
                "DataAvailabilityModule", "ChannelAdjudicator", "ChannelCore", "ChainPeers",
            ],
            path: "Tests/IntegrationTests",
            swiftSettings: strictSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)

// MARK: - Fuzz targets (only with AETHER_FUZZ=1; Deploy/Scripts/fuzz.sh builds them with --sanitize fuzzer)

if Context.environment["AETHER_FUZZ"] != nil {
    for name in ["Codec", "ICS23"] {
        package.targets.append(
            .executableTarget(
                name: "Fuzz\(name)",
                dependencies: ["Primitives"],
                path: "Deploy/Fuzz/\(name)",
                swiftSettings: strictSettings + [.unsafeFlags(["-parse-as-library"])]
            ))
    }
}
