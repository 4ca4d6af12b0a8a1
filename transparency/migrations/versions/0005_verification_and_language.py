"""verification checks and index; a language chosen per account

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 04:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=8), nullable=True)
    # Nobody could choose a language before: the stored 'id' was only the column default.
    op.execute("UPDATE user_account SET locale = NULL")
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.create_check_constraint(
            'ck_verification_answered',
            "status NOT IN ('accepted', 'rejected') OR answered_at IS NOT NULL",
        )
        batch_op.create_check_constraint(
            'ck_verification_reason', "status <> 'rejected' OR length(answer) > 0"
        )
        batch_op.create_index(
            'ix_verification_status_indicator', ['status', 'indicator_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_status_indicator')
        batch_op.drop_constraint('ck_verification_reason', type_='check')
        batch_op.drop_constraint('ck_verification_answered', type_='check')
    op.execute("UPDATE user_account SET locale = 'id' WHERE locale IS NULL")
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.alter_column('locale', existing_type=sa.String(length=8), nullable=False)
