"""an upload covers kelurahan: figures carry their kelurahan, the upload in force is kept
per indicator, period and kelurahan

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 02:20:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kelurahan_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE figure SET kelurahan_id = (SELECT rw.parent_id FROM area rt "
        "JOIN area rw ON rw.id = rt.parent_id WHERE rt.id = figure.area_id)"
    )
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.alter_column('kelurahan_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('fk_figure_kelurahan_id_area', 'area', ['kelurahan_id'], ['id'])
        batch_op.drop_index('ix_figure_area_cell')
        batch_op.create_index(
            'ix_figure_area_cell',
            ['area_id', 'indicator_id', 'period_id', 'upload_id', 'value', 'kelurahan_id'],
            unique=False,
        )

    with op.batch_alter_table('active_upload', schema=None) as batch_op:
        batch_op.drop_index('ix_active_upload_upload_id')
    op.rename_table('active_upload', 'active_upload_old')
    op.create_table('active_upload',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('kelurahan_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activated_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ),
    sa.ForeignKeyConstraint(['kelurahan_id'], ['area.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['period.id'], ),
    sa.ForeignKeyConstraint(['upload_id'], ['upload.id'], ),
    sa.PrimaryKeyConstraint('indicator_id', 'period_id', 'kelurahan_id')
    )
    with op.batch_alter_table('active_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_active_upload_upload_id'), ['upload_id'], unique=False)
    # An upload in force was in force everywhere it has figures.
    op.execute(
        "INSERT INTO active_upload (indicator_id, period_id, kelurahan_id, upload_id, "
        "activated_at, activated_by_id) "
        "SELECT DISTINCT a.indicator_id, a.period_id, f.kelurahan_id, a.upload_id, "
        "a.activated_at, a.activated_by_id FROM active_upload_old a JOIN figure f "
        "ON f.upload_id = a.upload_id AND f.indicator_id = a.indicator_id "
        "AND f.period_id = a.period_id"
    )
    op.drop_table('active_upload_old')


def downgrade() -> None:
    op.rename_table('active_upload', 'active_upload_new')
    op.create_table('active_upload',
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('period_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['activated_by_id'], ['user_account.id'], ),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], ),
    sa.ForeignKeyConstraint(['period_id'], ['period.id'], ),
    sa.ForeignKeyConstraint(['upload_id'], ['upload.id'], ),
    sa.PrimaryKeyConstraint('indicator_id', 'period_id')
    )
    # One upload per indicator and period again: the newest in force.
    op.execute(
        "INSERT INTO active_upload (indicator_id, period_id, upload_id, activated_at, "
        "activated_by_id) SELECT indicator_id, period_id, MAX(upload_id), MAX(activated_at), "
        "NULL FROM active_upload_new GROUP BY indicator_id, period_id"
    )
    with op.batch_alter_table('active_upload_new', schema=None) as batch_op:
        batch_op.drop_index('ix_active_upload_upload_id')
    op.drop_table('active_upload_new')
    with op.batch_alter_table('active_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_active_upload_upload_id'), ['upload_id'], unique=False)
    with op.batch_alter_table('figure', schema=None) as batch_op:
        batch_op.drop_index('ix_figure_area_cell')
        batch_op.create_index(
            'ix_figure_area_cell',
            ['area_id', 'indicator_id', 'period_id', 'upload_id', 'value'],
            unique=False,
        )
        batch_op.drop_constraint('fk_figure_kelurahan_id_area', type_='foreignkey')
        batch_op.drop_column('kelurahan_id')
