"""tenant address: the reconditioner's postal address, printed on donor batch reports

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00

A nullable text column: tenants created before it have no address until one is set
(``central-inventory set-tenant SLUG --address ...``); reports then say so.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite has ADD and DROP COLUMN since 3.35): a
# batch copy of ``tenants`` would drop a table every other table references.


def upgrade() -> None:
    op.add_column("tenants", sa.Column("address", sa.String(length=500), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE tenants DROP COLUMN address")
