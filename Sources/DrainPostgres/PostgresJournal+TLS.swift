import NIOSSL

extension PostgresJournal {
    /// The TLS settings of `configuration`'s mode, with libpq's meaning for each: `prefer` and `require`
    /// encrypt without checking the certificate, `verify-ca` checks who signed it, `verify-full` also
    /// that it names the host. A worker and `drainctl` (libpq) given one URL then agree on what it asks.
    static func tlsConfiguration(_ configuration: PostgresJournalConfiguration) -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch configuration.tls {
        case .disable, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let path = configuration.rootCertificatePath { tls.trustRoots = .file(path) }
        return tls
    }
}
