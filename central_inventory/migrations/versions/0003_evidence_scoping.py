"""evidence scoping: ids per tenant, erasure state from certificates, reports ordered

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00

- Certificate ids and report ids become a tenant's own: unique per (id, tenant), and the
  one-head-per-report-id index per (report id, tenant).
- ``certificates.outcome``: what each certificate proves (ERASED only with a passed
  verification and not a dry run), computed here from every stored payload.
- ``report_disks``: the disk serials of each report's inventory (boot medium left out),
  which a certificate's disk must match; ``reports.status_if_erased``: the status the
  report supports once its disks are proven erased. Both filled for each unit's current
  report (history rows never become current again).
- ``units.current_report_id / current_revision / current_created_at``: what a later
  report is compared with; ``units.erasure_state``: computed from the certificates, and
  every unit's status recomputed with it (a status set by hand is kept). Units that were
  PRET_A_DISTRIBUER on a report's word alone go back to EN_COURS_DE_TRAITEMENT.

The logic is copied here on purpose (a migration must not change when the code does).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# SQLite keeps 0001's UNIQUE (certificate_id) unnamed; batch mode names it with this
# convention so it can be dropped (PostgreSQL named it certificates_certificate_id_key).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "certificates", naming_convention=_SQLITE_NAMES if sqlite else None
    ) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sa.String(24), nullable=False, server_default="UNVERIFIED")
        )
        batch_op.drop_constraint(
            "uq_certificates_certificate_id" if sqlite else "certificates_certificate_id_key",
            type_="unique",
        )
        batch_op.create_unique_constraint(
            "uq_certificates_id_tenant", ["certificate_id", "tenant_id"]
        )
    with op.batch_alter_table("reports") as batch_op:
        batch_op.add_column(sa.Column("status_if_erased", sa.String(32), nullable=True))
        batch_op.drop_index("uq_reports_head")
        batch_op.drop_constraint("uq_reports_report_revision", type_="unique")
        batch_op.create_unique_constraint(
            "uq_reports_tenant_report_revision", ["report_id", "tenant_id", "revision"]
        )
        batch_op.create_index(
            "uq_reports_head",
            ["report_id", "tenant_id"],
            unique=True,
            sqlite_where=sa.text("head"),
            postgresql_where=sa.text("head"),
        )
    # Plain ALTER TABLE ADD COLUMN on both databases (no rebuild of the units table).
    op.add_column("units", sa.Column("current_report_id", sa.String(100), nullable=True))
    op.add_column("units", sa.Column("current_revision", sa.Integer(), nullable=True))
    op.add_column(
        "units", sa.Column("current_created_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("units", sa.Column("erasure_state", sa.String(16), nullable=True))
    op.create_table(
        "report_disks",
        sa.Column("report_pk", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(200), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["report_pk"], ["reports.id"]),
        sa.PrimaryKeyConstraint("report_pk", "serial"),
    )
    _outcomes()
    _current_reports()
    _recompute_units()
    with op.batch_alter_table("certificates") as batch_op:
        batch_op.alter_column("outcome", existing_type=sa.String(24), server_default=None)


def _payload(envelope: str) -> dict[str, Any]:
    try:
        document = json.loads(envelope)
    except ValueError:
        return {}
    payload = document.get("payload") if isinstance(document, dict) else None
    return payload if isinstance(payload, dict) else {}


def _outcome(result: str, payload: dict[str, Any]) -> str:
    if payload.get("dry_run") is True:
        return "DRY_RUN"
    if result != "ERASED":
        return result
    verification = payload.get("verification")
    if isinstance(verification, dict) and verification.get("passed") is True:
        return "ERASED"
    method = payload.get("method")
    firmware = method.get("firmware") if isinstance(method, dict) else None
    if isinstance(firmware, dict) and firmware.get("completed") is True:
        return "ERASED"
    return "UNVERIFIED"


def _outcomes() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, result, envelope FROM certificates")).all()
    updates = [
        {"id": pk, "outcome": _outcome(result, _payload(envelope))} for pk, result, envelope in rows
    ]
    if updates:
        connection.execute(
            sa.text("UPDATE certificates SET outcome = :outcome WHERE id = :id"), updates
        )


def _created(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _status_if_erased(payload: dict[str, Any]) -> str:
    grade = payload.get("grade")
    if isinstance(grade, dict):
        if grade.get("category") == "NOT_DISTRIBUTABLE":
            return "NON_REEMPLOYABLE"
        tests = payload.get("functional_tests")
        tests = tests if isinstance(tests, list) else []
        if all(not (isinstance(t, dict) and t.get("result") == "fail") for t in tests):
            return "PRET_A_DISTRIBUER"
    return "EN_COURS_DE_TRAITEMENT"


def _disks(payload: dict[str, Any]) -> dict[str, bool]:
    inventory = payload.get("inventory")
    disks = inventory.get("disks") if isinstance(inventory, dict) else None
    found: dict[str, bool] = {}
    for disk in disks if isinstance(disks, list) else []:
        if not isinstance(disk, dict) or disk.get("boot_medium") is True:
            continue
        serial = disk.get("serial")
        serial = serial.strip()[:200] if isinstance(serial, str) else ""
        found[serial] = found.get(serial, False) or disk.get("removable") is not True
    return found


def _current_reports() -> None:
    """Each unit's current report: its place (id, revision, creation), its disks and the
    status it supports once erased."""
    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT r.id, r.unit_id, r.report_id, r.revision, r.envelope FROM reports AS r "
            "JOIN units AS u ON u.id = r.unit_id AND r.version = u.latest_version"
        )
    ).all()
    for pk, unit_id, report_id, rev, envelope in rows:
        payload = _payload(envelope)
        connection.execute(
            sa.text("UPDATE reports SET status_if_erased = :status WHERE id = :id"),
            {"status": _status_if_erased(payload), "id": pk},
        )
        disks = _disks(payload)
        if disks:
            connection.execute(
                sa.text(
                    "INSERT INTO report_disks (report_pk, serial, required) "
                    "VALUES (:pk, :serial, :required)"
                ),
                [{"pk": pk, "serial": s, "required": r} for s, r in sorted(disks.items())],
            )
        connection.execute(
            sa.text(
                "UPDATE units SET current_report_id = :report_id, current_revision = :rev, "
                "current_created_at = :created WHERE id = :id"
            ),
            {
                "report_id": report_id,
                "rev": rev,
                "created": _created(payload.get("created_at")),
                "id": unit_id,
            },
        )


def _recompute_units() -> None:
    op.execute(
        """
UPDATE units SET
    erasure_state = ev.state,
    status = CASE
        WHEN units.status_manual OR ev.status_if_erased IS NULL THEN units.status
        WHEN ev.status_if_erased = 'PRET_A_DISTRIBUER' AND ev.state <> 'ERASED'
          THEN 'EN_COURS_DE_TRAITEMENT'
        ELSE ev.status_if_erased
    END
FROM (
    SELECT u.id AS unit_id, r.status_if_erased AS status_if_erased,
           CASE
             WHEN NOT EXISTS (
                 SELECT 1 FROM report_disks AS d WHERE d.report_pk = r.id AND d.required)
               THEN 'NO_DISK'
             WHEN EXISTS (
                 SELECT 1 FROM report_disks AS d
                 WHERE d.report_pk = r.id AND d.required AND NOT EXISTS (
                     SELECT 1 FROM report_certificates AS l
                     JOIN certificates AS c
                       ON c.certificate_id = l.certificate_id AND c.tenant_id = r.tenant_id
                     WHERE l.report_pk = r.id AND c.disk_serial = d.serial
                       AND c.outcome = 'ERASED'))
               THEN 'NOT_ERASED'
             ELSE 'ERASED'
           END AS state
    FROM units AS u JOIN reports AS r ON r.unit_id = u.id AND r.version = u.latest_version
) AS ev
WHERE units.id = ev.unit_id
"""
    )


def downgrade() -> None:
    # Back to global ids: where two tenants used one id, only the first stored row stays
    # (lossy, as 0002's downgrade is). Statuses computed from evidence are kept.
    op.execute(
        "DELETE FROM report_certificates WHERE report_pk IN (SELECT r.id FROM reports AS r "
        "WHERE EXISTS (SELECT 1 FROM reports AS o WHERE o.report_id = r.report_id "
        "AND o.tenant_id < r.tenant_id))"
    )
    op.execute("DELETE FROM report_disks")
    op.execute(
        "DELETE FROM reports WHERE EXISTS (SELECT 1 FROM reports AS o "
        "WHERE o.report_id = reports.report_id AND o.tenant_id < reports.tenant_id)"
    )
    op.execute(
        "DELETE FROM certificates WHERE EXISTS (SELECT 1 FROM certificates AS o "
        "WHERE o.certificate_id = certificates.certificate_id AND o.id < certificates.id)"
    )
    op.drop_table("report_disks")
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in ("erasure_state", "current_created_at", "current_revision", "current_report_id"):
        # ALTER TABLE DROP COLUMN (SQLite 3.35+): no rebuild of the units table.
        op.execute(f"ALTER TABLE units DROP COLUMN {column}")
    with op.batch_alter_table("reports") as batch_op:
        batch_op.drop_index("uq_reports_head")
        batch_op.drop_constraint("uq_reports_tenant_report_revision", type_="unique")
        batch_op.create_unique_constraint("uq_reports_report_revision", ["report_id", "revision"])
        batch_op.create_index(
            "uq_reports_head",
            ["report_id"],
            unique=True,
            sqlite_where=sa.text("head"),
            postgresql_where=sa.text("head"),
        )
        batch_op.drop_column("status_if_erased")
    with op.batch_alter_table("certificates") as batch_op:
        batch_op.drop_constraint("uq_certificates_id_tenant", type_="unique")
        batch_op.create_unique_constraint(
            "uq_certificates_certificate_id" if sqlite else "certificates_certificate_id_key",
            ["certificate_id"],
        )
        batch_op.drop_column("outcome")
