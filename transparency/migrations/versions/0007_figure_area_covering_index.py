"""an RT's figures read from the index alone: the area index covers upload and value

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 08:40:00
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.create_index(
            'ix_figure_area_cell',
            ['area_id', 'indicator_id', 'period_id', 'upload_id', 'value'],
            unique=False,
        )
        batch_op.drop_index('ix_figure_area_indicator_period')


def downgrade() -> None:
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.create_index(
            'ix_figure_area_indicator_period', ['area_id', 'indicator_id', 'period_id'], unique=False
        )
        batch_op.drop_index('ix_figure_area_cell')
