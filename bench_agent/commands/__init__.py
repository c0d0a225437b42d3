"""One module per subcommand, each with ``register(subparsers, env)``.

Keep module-level imports light: the handler imports what it needs.
"""
