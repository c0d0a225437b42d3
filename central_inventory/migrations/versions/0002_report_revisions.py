"""report revisions: one row per (report_id, revision), one head per report id

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00

A bench keeps one report id per unit and re-signs revision n + 1 when something changes.
``reports.report_id`` stops being unique: ``(report_id, revision)`` is. ``head`` marks the
highest revision of each report id (a partial unique index keeps it single), and
``version`` becomes NULL for a revision stored as history only (it arrived after a higher
one). Rows stored before this migration are each the only revision of their report id:
revision as written in their payload (1 when absent), head, version unchanged.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# SQLite keeps 0001's UNIQUE (report_id) unnamed; batch mode names it with this convention
# so it can be dropped (PostgreSQL named it reports_report_id_key itself).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
_MAX_REVISION = 2**31 - 1


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "reports", naming_convention=_SQLITE_NAMES if sqlite else None
    ) as batch_op:
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("head", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint(
            "uq_reports_report_id" if sqlite else "reports_report_id_key", type_="unique"
        )
        batch_op.create_unique_constraint("uq_reports_report_revision", ["report_id", "revision"])
    _revisions_from_payloads()
    with op.batch_alter_table("reports") as batch_op:
        batch_op.alter_column("revision", existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column("head", existing_type=sa.Boolean(), server_default=None)
        batch_op.create_index(
            "uq_reports_head",
            ["report_id"],
            unique=True,
            sqlite_where=sa.text("head"),
            postgresql_where=sa.text("head"),
        )


def _revisions_from_payloads() -> None:
    """A stored payload that names its revision keeps that number (1 otherwise)."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, envelope FROM reports WHERE envelope LIKE :pattern"),
        {"pattern": '%"revision"%'},
    ).all()
    for pk, envelope in rows:
        try:
            value = json.loads(envelope)["payload"]["revision"]
        except (ValueError, KeyError, TypeError):
            continue
        if type(value) is int and 1 < value <= _MAX_REVISION:
            connection.execute(
                sa.text("UPDATE reports SET revision = :revision WHERE id = :id"),
                {"revision": value, "id": pk},
            )


def downgrade() -> None:
    # Back to one row per report id: only each report id's head survives (lossy).
    op.execute(
        "DELETE FROM report_certificates WHERE report_pk IN (SELECT id FROM reports WHERE NOT head)"
    )
    op.execute("DELETE FROM reports WHERE NOT head")
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("uq_reports_head")
        batch_op.drop_constraint("uq_reports_report_revision", type_="unique")
        batch_op.create_unique_constraint(
            "uq_reports_report_id" if sqlite else "reports_report_id_key", ["report_id"]
        )
        batch_op.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("head")
        batch_op.drop_column("revision")
