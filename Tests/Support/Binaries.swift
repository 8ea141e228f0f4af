import Foundation

/// Where the built `drainctl`, `drain-demo` and `drain-chaos` are, for the tests that run them:
/// `$DRAINCTL_BIN_DIR`, else `.build/debug` of this package.
public enum Binaries {
    /// The directory holding Package.swift, found from this file.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { break }
        }
        return url
    }()

    public static let directory: URL = {
        if let explicit = ProcessInfo.processInfo.environment["DRAINCTL_BIN_DIR"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        return packageRoot.appendingPathComponent(".build/debug")
    }()

    public static var drainctl: URL { directory.appendingPathComponent("drainctl") }
    public static var demo: URL { directory.appendingPathComponent("drain-demo") }
    public static var chaos: URL { directory.appendingPathComponent("drain-chaos") }
}
