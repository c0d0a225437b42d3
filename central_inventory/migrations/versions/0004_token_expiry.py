"""token expiry and rotation; the health probe's row

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-10 09:00:00

``api_tokens.expires_at``: after it the token answers 401 ``token_expired``.
``api_tokens.replaced_by``: the token ``rotate-token`` issued in its place. Tokens that
exist when this migration runs get the default lifetime of their role counted from the
upgrade (bench 365 days, staff 180, coordinator 90), not from their creation: an
upgrade must not lock every bench out at once. ``service_health``: the one row
``/healthz`` rewrites to check that storage takes writes.

(The lead re-chains ``down_revision`` at merge when 0003 lands first.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_DAYS = {"bench": 365, "staff": 180, "coordinator": 90}


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("replaced_by", sa.Integer(), nullable=True))
    now = datetime.now(UTC)
    connection = op.get_bind()
    tokens = sa.table(
        "api_tokens",
        sa.column("role", sa.String()),
        sa.column("expires_at", sa.DateTime(timezone=True)),
    )
    for role, days in _DAYS.items():
        connection.execute(
            tokens.update()
            .where(tokens.c.role == role, tokens.c.expires_at.is_(None))
            .values(expires_at=now + timedelta(days=days))
        )
    health = op.create_table(
        "service_health",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(health, [{"id": 1, "checked_at": None}])


def downgrade() -> None:
    op.drop_table("service_health")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("replaced_by")
        batch_op.drop_column("expires_at")
