"""loose drives: the donor batch a station's certificate names

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:30:00

``certificates.loose_batch``: the batch code of a drive erased on its own at an erasure
station (``source_computer`` = ``{"loose_drive": true, "batch": CODE, ...}`` in the
signed certificate), so that the batch report lists the drive beside the batch's
computers. Certificates stored before this migration keep NULL (their envelopes are
unchanged; a laptop's certificate always has NULL).

(The lead re-chains ``down_revision`` at merge when another 0006 lands first.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("certificates", sa.Column("loose_batch", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_certificates_tenant_loose_batch", "certificates", ["tenant_id", "loose_batch"]
    )


def downgrade() -> None:
    op.drop_index("ix_certificates_tenant_loose_batch", table_name="certificates")
    op.execute("ALTER TABLE certificates DROP COLUMN loose_batch")
