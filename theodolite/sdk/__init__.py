"""The Theodolite SDK: tracing (decorator, context managers, provider wrappers) and an exporter
that never slows or breaks its host. Depends on opentelemetry-proto and protobuf only."""
