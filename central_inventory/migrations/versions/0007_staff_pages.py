"""staff pages: web sessions, manual status history, donor links shown again

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:30:00

``web_sessions``: a staff page session (the cookie holds a random id, the row its
SHA-256; never the bearer token). ``status_changes``: every status set by hand, with
who, when, from, to and why. ``batches.donor_token`` / ``donor_link_issued_at``: the
donor link kept so staff can show it again (batches created before have none until
their link is re-issued: only the hash of the old one was kept).

Search needs no new column: disk serials (``report_disks``) and certificate ids
(``report_certificates``) are already stored per unit at ingest, so existing rows are
searchable as they are.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_hash"),
    )
    op.create_index("ix_web_sessions_token_id", "web_sessions", ["token_id"])
    op.create_table(
        "status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("token_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.ForeignKeyConstraint(["token_id"], ["api_tokens.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_status_changes_unit_id", "status_changes", ["unit_id"])
    # Plain ALTER TABLE (see 0005): a batch copy of ``batches`` would drop a referenced table.
    op.add_column("batches", sa.Column("donor_token", sa.String(length=64), nullable=True))
    op.add_column(
        "batches", sa.Column("donor_link_issued_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.execute("ALTER TABLE batches DROP COLUMN donor_link_issued_at")
    op.execute("ALTER TABLE batches DROP COLUMN donor_token")
    op.drop_index("ix_status_changes_unit_id", table_name="status_changes")
    op.drop_table("status_changes")
    op.drop_index("ix_web_sessions_token_id", table_name="web_sessions")
    op.drop_table("web_sessions")
