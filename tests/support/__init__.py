"""Test harness: real servers (PostgreSQL, Theodolite) started by the suite itself."""
