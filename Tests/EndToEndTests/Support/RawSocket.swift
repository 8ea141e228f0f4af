import DrainClient
import DrainProtocol
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A blocking Unix-socket client that sends exact bytes, for abusing the protocol on purpose.
///
/// Its reads wait on a thread of their own: a test that waits seconds for a reply (or for none) must not
/// hold one of the cooperative pool's two threads, which every other test in the process shares.
/// `@unchecked Sendable`: one test uses it at a time, and only `readLine` crosses to that thread.
final class RawSocket: @unchecked Sendable {
    let fd: Int32

    init(path: String) throws {
        switch UnixSocket.connect(path) {
        case .success(let connected): fd = connected
        case .failure(let error): throw POSIXError(POSIXErrorCode(rawValue: error.code) ?? .ECONNREFUSED)
        }
    }

    func send(_ data: [UInt8]) {
        var offset = 0
        while offset < data.count {
            let n = data[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            offset += n
        }
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// The next line, or nil on EOF or after `timeout` seconds.
    func readLine(timeout: Double = 5) async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.readLineNow(timeout: timeout)) }.start()
        }
    }

    private func readLineNow(timeout: Double) -> String? {
        var line: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            line.append(byte)
        }
        return nil
    }

    /// The `code` of an error reply line.
    func errorCode(timeout: Double = 5) async -> String? {
        guard let line = await readLine(timeout: timeout), let data = line.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let error = object["error"] as? [String: Any]
        else { return nil }
        return error["code"] as? String
    }

    deinit { close(fd) }
}
