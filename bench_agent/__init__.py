"""bench-agent: refurbishing bench for donated laptops."""

__version__ = "0.1.0"
