// The polling helper and the HTTP probe live in DrainTesting, which the integration packages share; the
// main package's tests reach them through this target as before.
@_exported import DrainTesting
