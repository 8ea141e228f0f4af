/// Protocol constants shared by the server and the client.
public enum ControlProtocol {
    /// The protocol version this build speaks.
    public static let version = 1
    /// The longest request line a server accepts, newline excluded.
    public static let defaultMaxLineBytes = 64 * 1024
}
