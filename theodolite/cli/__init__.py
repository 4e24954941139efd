"""Thin command-line front-ends over the server, storage and query layers."""
