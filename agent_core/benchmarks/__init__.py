"""Benchmarks behind `worldmind bench`: each returns a JSON-ready dict."""
