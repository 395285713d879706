"""The SQL schema of hyperpilot storages and its version.

Ids are never reused (``AUTOINCREMENT``): a worker still holding a deleted study must
not write into a new one.

Versions (each older one is upgraded in place by :mod:`hyperpilot.storage._migrations`):

* 1 — ``hp_meta``, ``hp_studies``, ``hp_trials``.
* 2 — adds ``hp_events``, the append-only record of what people and optimizers did to a
  study.
* 3 — adds ``hp_intermediate``, the trials' learning curves (``trial.report``): one row per
  (trial, step), append-only.
"""

from __future__ import annotations

import sqlalchemy as sa

SCHEMA_VERSION = 3

metadata = sa.MetaData()

meta_table = sa.Table(
    "hp_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

studies = sa.Table(
    "hp_studies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("spec", sa.Text, nullable=False),
    sqlite_autoincrement=True,
)

trials = sa.Table(
    "hp_trials",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("hp_studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("budget", sa.Float),
    sa.Column("seed", sa.BigInteger),
    sa.Column("instance", sa.Text),
    sa.Column("vals", sa.Text),
    sa.Column("constraint_vals", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("worker", sa.String(255)),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("meta", sa.Text),
    sa.Column("heartbeat_at", sa.Float),
    sa.UniqueConstraint("study_id", "number", name="uq_hp_trials_study_number"),
    sa.Index("ix_hp_trials_study_state", "study_id", "state"),
    sqlite_autoincrement=True,
)

events = sa.Table(
    "hp_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("hp_studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("at_trial", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("origin", sa.String(16), nullable=False),
    sa.Column("author", sa.String(255)),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Index("ix_hp_events_study", "study_id", "id"),
    sqlite_autoincrement=True,
)

intermediate = sa.Table(
    "hp_intermediate",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "study_id", sa.Integer, sa.ForeignKey("hp_studies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "trial_id", sa.Integer, sa.ForeignKey("hp_trials.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("step", sa.Float, nullable=False),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("trial_id", "step", name="uq_hp_intermediate_trial_step"),
    sa.Index("ix_hp_intermediate_study", "study_id", "id"),
    sqlite_autoincrement=True,
)
