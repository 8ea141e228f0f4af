/// The identifier of a job in the journal. Identifiers increase in submission order.
public typealias JobID = Int64
