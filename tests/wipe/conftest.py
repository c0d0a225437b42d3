"""Erasure test fixtures (defined in wipe_helpers so tests can import its helpers too)."""

from wipe_helpers import bench_key, ctx, faulty_loop, loop_factory

__all__ = ["bench_key", "ctx", "faulty_loop", "loop_factory"]
