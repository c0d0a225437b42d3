"""The central inventory service: evidence store, verification page and coordinators' view.

The other end of every bench's sync: benches post signed unit reports and erasure
certificates (``wipe.signing`` envelopes); the service verifies them against each
bench's registered public key, stores them verbatim per tenant (reconditioner) and
serves the coordinators', staff's and donors' pages.
"""

__version__ = "0.1.0"
