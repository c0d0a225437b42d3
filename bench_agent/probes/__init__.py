"""Probes: pure functions that turn what a :class:`~bench_agent.host.Host` reads into models.

Each probe takes a host (and a ``notes`` list it appends to when something
could not be read or looks wrong) and returns a model from
:mod:`bench_agent.model.inventory`. Probes never touch the machine themselves:
all reads go through the host, so every probe runs the same on a live laptop and
on a recorded fixture folder.
"""
