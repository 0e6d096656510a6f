// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

// Products used by several targets. Every target lists every module it imports: CI builds with
// `--explicit-target-dependency-import-check error`, so Package.swift is the true module graph.
let argumentParser: Target.Dependency = .product(name: "ArgumentParser", package: "swift-argument-parser")
let asyncHTTPClient: Target.Dependency = .product(name: "AsyncHTTPClient", package: "async-http-client")
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let httpTypes: Target.Dependency = .product(name: "HTTPTypes", package: "swift-http-types")
let hummingbird: Target.Dependency = .product(name: "Hummingbird", package: "hummingbird")
let hummingbirdTesting: Target.Dependency = .product(name: "HummingbirdTesting", package: "hummingbird")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")
let serviceLifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let sqlKit: Target.Dependency = .product(name: "SQLKit", package: "sql-kit")
func nio(_ product: String) -> Target.Dependency { .product(name: product, package: "swift-nio") }

let package = Package(
    name: "veza-media",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "veza", targets: ["veza"]),
        .executable(name: "veza-bench", targets: ["VezaBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/async-kit", from: "1.22.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
    ],
    targets: [
        .target(name: "Retry", swiftSettings: swiftSettings),
        .target(name: "SignedURL", dependencies: [crypto], swiftSettings: swiftSettings),
        .target(
            name: "Storage",
            dependencies: [
                "CXattr", "Retry", "SignedURL", asyncHTTPClient, crypto, logging, nio("NIOCore"), nio("NIOPosix"),
                nio("_NIOFileSystem"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Database",
            dependencies: [
                "Retry", logging, nio("NIOCore"), nio("NIOPosix"), serviceLifecycle, sqlKit,
                .product(name: "AsyncKit", package: "async-kit"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "Catalog", dependencies: ["Database", sqlKit], swiftSettings: swiftSettings),
        .target(
            name: "Payments",
            dependencies: ["Retry", "SignedURL", asyncHTTPClient, crypto, logging, nio("NIOCore"), nio("NIOHTTP1")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Ingest",
            dependencies: [
                "Catalog", "Database", "Retry", "Storage", crypto, logging, nio("NIOCore"), nio("NIOPosix"),
                serviceLifecycle, sqlKit,
            ],
            swiftSettings: swiftSettings
        ),
        // sys/xattr.h (fgetxattr) for the file-system store.
        .systemLibrary(name: "CXattr"),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswresample libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswresample-dev", "libavutil-dev"])]
        ),
        .target(
            name: "Transcode",
            dependencies: ["CFFmpeg", "Catalog", "Database", "Storage", logging],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "StreamServer",
            dependencies: [
                "CZlib", "Catalog", "Database", "Ingest", "Marketplace", "Payments", "Retry", "SignedURL", "Storage",
                "Subscription",
                "Transcode", "VezaAPI",
                asyncHTTPClient, crypto, hummingbird, httpTypes, logging, nio("NIOCore"), nio("NIOHTTP1"),
                serviceLifecycle,
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // The web app: plain HTML, CSS and JavaScript modules, served at `/` as they are.
            resources: [.copy("Public"), .copy("OpenAPI")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Subscription",
            dependencies: ["Database", logging, serviceLifecycle, sqlKit],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Marketplace",
            dependencies: ["Database", "Retry", logging, serviceLifecycle, sqlKit],
            swiftSettings: swiftSettings
        ),
        .target(name: "VezaAPI", swiftSettings: swiftSettings),
        .target(
            name: "VezaClient",
            dependencies: ["Retry", "SignedURL", "VezaAPI", asyncHTTPClient, crypto, nio("NIOCore"), nio("NIOHTTP1")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "veza",
            dependencies: [
                "Database", "SignedURL", "Storage", "StreamServer", "Transcode", "VezaClient", argumentParser,
                asyncHTTPClient, logging,
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "VezaBench",
            dependencies: ["Retry", "SignedURL", "Storage", argumentParser, crypto, nio("NIOCore")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "Database", "SignedURL", "Storage", asyncHTTPClient, crypto, logging, nio("NIOCore"), nio("NIOHTTP1"),
                nio("NIOPosix"), sqlKit,
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: ["Payments", "Retry", "TestSupport", asyncHTTPClient, crypto, logging, nio("NIOCore")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SignedURLTests", dependencies: ["SignedURL", crypto], swiftSettings: swiftSettings),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "Retry", "SignedURL", "Storage", "TestSupport", crypto, nio("NIOCore"), nio("NIOHTTP1"),
                nio("NIOPosix"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DatabaseTests",
            dependencies: ["Database", "Retry", "TestSupport", logging, serviceLifecycle, sqlKit],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TranscodeTests",
            dependencies: [
                "Catalog", "Database", "Retry", "Storage", "TestSupport", "Transcode", logging, nio("NIOCore"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SubscriptionTests",
            dependencies: ["Database", "Subscription", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MarketplaceTests",
            dependencies: ["Database", "Marketplace", "TestSupport", sqlKit],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CatalogTests",
            dependencies: ["Catalog", "Database", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IngestTests",
            dependencies: [
                "Catalog", "Database", "Ingest", "SignedURL", "Storage", "StreamServer", "TestSupport", "VezaAPI",
                "VezaClient", asyncHTTPClient, crypto, httpTypes, hummingbird, hummingbirdTesting, nio("NIOCore"),
                sqlKit,
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StreamServerTests",
            dependencies: [
                "Catalog", "Database", "Marketplace", "Payments", "Retry", "SignedURL", "Storage", "StreamServer",
                "Subscription",
                "TestSupport", "Transcode", "VezaAPI", asyncHTTPClient, crypto, httpTypes, hummingbird,
                hummingbirdTesting,
                logging, nio("NIOCore"), sqlKit,
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
