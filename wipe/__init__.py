"""The erasure engine. Standalone: imports nothing from bench_agent, Textual or HTTP."""
