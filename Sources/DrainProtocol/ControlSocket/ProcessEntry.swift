/// One `<name>.<pid>.sock` in the run directory.
public struct ProcessEntry: Sendable, Hashable {
    public var name: String
    public var pid: Int32
    public var path: String

    public init?(directory: String, fileName: String) {
        guard fileName.hasSuffix(".sock") else { return nil }
        let stem = fileName.dropLast(5)
        guard let dot = stem.lastIndex(of: "."), let pid = Int32(stem[stem.index(after: dot)...]), pid > 0 else {
            return nil
        }
        let name = String(stem[..<dot])
        guard !name.isEmpty else { return nil }
        self.name = name
        self.pid = pid
        self.path = directory + "/" + fileName
    }

    public init(name: String, pid: Int32, path: String) {
        self.name = name
        self.pid = pid
        self.path = path
    }
}
