"""The bench app (Textual): screens wired to the headless services, keyboard only.

Nothing under ``bench_agent`` outside this package imports Textual (import-linter).
"""
