// The wire types (PoolSnapshot, DrainEvent, DrainCause, DrainPhase, ShutdownReport, JobID) live in
// DrainProtocol so that clients can speak the protocol without linking the pool or a journal. Drain
// re-exports them because its public API is written in them: an application that imports Drain gets
// the types its pool hands out without a second import.
@_exported import DrainProtocol
