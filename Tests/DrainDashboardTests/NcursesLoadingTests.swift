import DrainTestSupport
import Foundation
import Testing

@testable import DrainDashboard

/// ncursesw is opened with dlopen when a screen starts: the built drainctl does not link it, so the
/// commands that draw nothing never map it, and a machine without it gets a message naming the package.
@Suite("ncurses loaded on demand", .timeLimit(.minutes(5)))
struct NcursesLoadingTests {
    @Test("the built drainctl does not link ncursesw or libtinfo: ldd lists libc and neither")
    func notLinked() async throws {
        let result = try await shell("ldd \"$1\"", [Binaries.drainctl.path])
        #expect(result.code == 0, "\(result.out)")
        #expect(result.out.contains("libc.so.6"), "\(result.out)")
        #expect(!result.out.contains("libncurses"), "\(result.out)")
        #expect(!result.out.contains("libtinfo"), "\(result.out)")
    }

    @Test("a library that cannot be opened is an ncurses_missing error naming it and Debian's package")
    func missingLibrary() throws {
        let name = "libncursesw-missing-\(UUID().uuidString.prefix(8)).so.6"
        let error = try #require(NcursesLibrary.load(name))
        #expect(error.code == .ncursesMissing)
        #expect(error.message.contains("cannot load \(name)"), "\(error.message)")
        #expect(error.message.contains("install Debian's libncursesw6 package"), "\(error.message)")
        #expect(error.message.contains("No such file"), "the loader's own reason: \(error.message)")
    }

    @Test("a library without one of the functions is refused too, naming the function")
    func libraryWithoutCurses() throws {
        // libm opens fine but has no newterm: the table must stay empty and the message say why.
        let error = try #require(NcursesLibrary.load("libm.so.6"))
        #expect(error.code == .ncursesMissing)
        #expect(error.message.contains("newterm"), "\(error.message)")
    }

    @Test("with libncursesw.so.6 unloadable, top in a terminal prints the libncursesw6 message and exits 3")
    func topWithoutNcurses() async throws {
        let sandbox = try Sandbox()
        let demo = try await Demo(["--rate", "1"], in: sandbox)
        // A private mount namespace in which libncursesw.so.6 is /dev/null ("file too short" to the loader),
        // and a pseudo-terminal from script(1), so top gets as far as starting its screen.
        let script = """
            lib=$(ldconfig -p | sed -n 's/^[[:space:]]*libncursesw\\.so\\.6 (.*=> //p' | head -n 1)
            [ -n "$lib" ] || { echo "no libncursesw.so.6 in ldconfig's cache"; exit 90; }
            exec unshare --mount sh -c 'mount --bind /dev/null "$0" && exec script -qec "$1" /dev/null' \
                "$lib" "TERM=xterm $1 top --socket $2; echo exit=\\$?"
            """
        let result = try await shell(script, [Binaries.drainctl.path, demo.socket])
        #expect(result.out.contains("cannot load libncursesw.so.6"), "\(result.out)")
        #expect(result.out.contains("install Debian's libncursesw6 package"), "\(result.out)")
        #expect(result.out.contains("exit=3"), "\(result.out)")
        #expect(demo.child.exitCode == nil, "top must leave the service alone")
    }

    @Test("the machine's ncursesw loads, with every function top calls")
    func loads() throws {
        #expect(throws: Never.self) { try NcursesLibrary.require() }
    }
}
