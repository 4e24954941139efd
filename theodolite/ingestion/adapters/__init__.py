"""Wire adapters: pure functions from a request body to a `Batch` of the canonical model."""
