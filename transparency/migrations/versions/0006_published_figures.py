"""published figures: the protected counts of each publication

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 04:45:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('published_figure',
    sa.Column('publication_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('rts_missing', sa.Integer(), nullable=False),
    sa.CheckConstraint('value IS NULL OR value >= 0', name='ck_published_value'),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'], ),
    sa.PrimaryKeyConstraint('publication_id', 'area_id'),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index('ix_publication_current', ['indicator_id', 'period_id', 'is_current'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index('ix_publication_current')
    op.drop_table('published_figure')
