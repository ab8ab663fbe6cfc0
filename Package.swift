// swift-tools-version: 6.0
// One package: thin C modules, libraries by concern, one executable per
// FastCGI route family, the detached generator and the admin CLI.
import PackageDescription

// Strictness set once for every Swift target.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

func handler(_ name: String, folder: String) -> Target {
    .executableTarget(
        name: name, dependencies: ["BilanWeb"], path: "Sources/Handlers/\(folder)",
        swiftSettings: strict)
}

let package = Package(
    name: "bilan-orientation",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bilan-eligibility", targets: ["bilan-eligibility"]),
        .executable(name: "bilan-create", targets: ["bilan-create"]),
        .executable(name: "bilan-status", targets: ["bilan-status"]),
        .executable(name: "bilan-page", targets: ["bilan-page"]),
        .executable(name: "bilan-auth", targets: ["bilan-auth"]),
        .executable(name: "bilan-generator", targets: ["bilan-generator"]),
        .executable(name: "bilan-admin", targets: ["bilan-admin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        // Web Push: P-256 ECDH and ECDSA, HKDF, AES-GCM (RFC 8291, RFC 8292).
        // It brings Foundation along: only the generator and bilan-admin link it.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // C libraries, one module each.
        .systemLibrary(name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CCmark", pkgConfig: "libcmark-gfm",
            providers: [.apt(["libcmark-gfm-dev", "libcmark-gfm-extensions-dev"])]),
        .target(name: "CSpawn", path: "Sources/CSpawn"),

        // Configuration, JSON, the domain rules, PostgreSQL, templates, logging.
        .target(
            name: "BilanCore",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // HTTP and SMTP over libcurl, options as Swift values: used by the
        // Gemini client and the SMTP transport; no handler links it.
        .target(name: "BilanHTTP", dependencies: ["CCurl"], swiftSettings: strict),
        // E-mail: MIME building and the smtp/sendmail/file transports.
        .target(name: "BilanMail", dependencies: ["BilanCore", "BilanHTTP"], swiftSettings: strict),
        // The report's Markdown as safe HTML (cmark-gfm): rendered once by the
        // generator at completion, and by the page for older reports.
        .target(name: "BilanMarkdown", dependencies: ["BilanCore", "CCmark"], swiftSettings: strict),
        // FastCGI/CGI serving, requests and responses, the route handlers' logic.
        .target(
            name: "BilanWeb", dependencies: ["BilanCore", "BilanMarkdown", "CFastCGI", "CSpawn"],
            swiftSettings: strict),
        // Web Push as a server sends it: aes128gcm payloads (RFC 8291), VAPID
        // (RFC 8292) and delivery over BilanHTTP (RFC 8030). No handler links it.
        .target(
            name: "BilanPush",
            dependencies: ["BilanCore", "BilanHTTP", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        // The generator's mechanisms: queue, Gemini client, passes, the report
        // PDF (WeasyPrint run under a time limit through CSpawn), recovery.
        .target(
            name: "BilanGeneration",
            dependencies: ["BilanCore", "BilanHTTP", "BilanMail", "BilanMarkdown", "BilanPush", "CSpawn"],
            swiftSettings: strict),

        handler("bilan-eligibility", folder: "Eligibility"),
        handler("bilan-create", folder: "Create"),
        handler("bilan-status", folder: "Status"),
        handler("bilan-page", folder: "Page"),
        handler("bilan-auth", folder: "Auth"),
        .executableTarget(
            name: "bilan-generator", dependencies: ["BilanGeneration"], path: "Sources/Generator",
            swiftSettings: strict),
        .executableTarget(
            name: "bilan-admin",
            dependencies: [
                "BilanGeneration", "BilanPush", "BilanWeb",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/Admin", swiftSettings: strict),

        // One test target per module, and the fixtures and helpers they share.
        // A test target lists the C modules its @testable imports reach.
        .target(name: "BilanTestSupport", dependencies: ["BilanCore"], path: "Tests/BilanTestSupport"),
        .testTarget(name: "BilanCoreTests", dependencies: ["BilanCore", "BilanTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "BilanWebTests", dependencies: ["BilanWeb", "BilanCore", "BilanTestSupport", "CFastCGI", "CSpawn", "CCmark"], swiftSettings: strict),
        .testTarget(
            name: "BilanMarkdownTests", dependencies: ["BilanMarkdown", "BilanCore", "BilanTestSupport", "CCmark"],
            swiftSettings: strict),
        .testTarget(
            name: "BilanMailTests", dependencies: ["BilanMail", "BilanCore", "BilanTestSupport", "CCurl"], swiftSettings: strict),
        .testTarget(
            name: "BilanGenerationTests",
            dependencies: ["BilanGeneration", "BilanMarkdown", "BilanCore", "BilanPush", "BilanTestSupport", "CCurl", "CCmark", "CSpawn"],
            swiftSettings: strict),
        .testTarget(
            name: "BilanPushTests",
            dependencies: ["BilanPush", "BilanCore", "BilanTestSupport", "CCurl", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
    ]
)
