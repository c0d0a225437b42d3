"""Where the outbox's signed documents go: the central service, tec.tech, GLPI, a file.

Each sink is one :class:`~bench_agent.sync.sinks.base.Sink`; the outbox keeps a state per
item and sink, and the sender (``bench_agent.sync.sender``) hands each due item to each
configured sink.
"""
