"""billing corrects the tax of periods whose exemption changed after their bill: the tax each bill saw

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bss_bill_cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_seen", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bss_bill_cycles", schema=None) as batch_op:
        batch_op.drop_column("tax_seen")
