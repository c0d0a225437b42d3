"""Evidence leaving the bench: the outbox and its sinks (central inventory, USB export)."""
