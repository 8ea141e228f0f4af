import DrainTestSupport
import Foundation
import Testing

@testable import DrainFleet

/// libpq is opened with dlopen by the fleet commands only: the built drainctl does not link it, and a
/// machine without it gets a message naming the package instead of a crash.
@Suite("libpq loaded on demand", .timeLimit(.minutes(5)))
struct LibpqLoadingTests {
    @Test("the built drainctl does not link libpq: ldd lists libc and none of libpq")
    func notLinked() async throws {
        let result = try await shell("ldd \"$1\"", [Binaries.drainctl.path])
        #expect(result.code == 0, "\(result.out)")
        #expect(result.out.contains("libc.so.6"), "\(result.out)")
        #expect(!result.out.contains("libpq"), "\(result.out)")
    }

    @Test("a library that cannot be opened is a libpq_missing error naming it and Debian's libpq5 package")
    func missingLibrary() throws {
        let name = "libpq-missing-\(UUID().uuidString.prefix(8)).so.5"
        let error = try #require(LibpqConnection.load(name))
        #expect(error.code == .libpqMissing)
        #expect(error.message.contains("cannot load \(name)"), "\(error.message)")
        #expect(error.message.contains("install Debian's libpq5 package"), "\(error.message)")
        #expect(error.message.contains("No such file"), "the loader's own reason: \(error.message)")
    }

    @Test("with libpq.so.5 unloadable, status --postgres prints the libpq5 message and exits 2")
    func commandWithoutLibpq() async throws {
        // A private mount namespace in which libpq.so.5 is /dev/null ("file too short" to the loader): the
        // machine's libpq stays as it is for everyone else.
        let script = """
            lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libpq\\.so\\.5 (.*=> //p' | head -n 1)
            [ -n "$lib" ] || { echo "no libpq.so.5 in ldconfig's cache"; exit 90; }
            exec unshare --mount sh -c 'mount --bind /dev/null "$0" && exec "$1" status --postgres "$2"' \
                "$lib" "$1" "$2"
            """
        let result = try await shell(script, [Binaries.drainctl.path, "postgres://127.0.0.1:1/nothing"])
        #expect(result.code == 2, "\(result.out)")
        #expect(result.out.contains("cannot load libpq.so.5"), "\(result.out)")
        #expect(result.out.contains("install Debian's libpq5 package"), "\(result.out)")
        #expect(!result.out.contains("cannot connect"), "libpq is never reached: \(result.out)")
    }
}
