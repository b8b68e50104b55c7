"""Alembic's script directory: `env.py` and the revisions in `versions/`.

`hubbub.storage.migrate` runs them at start-up; no alembic.ini is needed.
A new revision is a new file in `versions/` whose `down_revision` is the
previous head (copy the latest one, or render `script.py.mako` with
`alembic.command.revision(hubbub.storage.migrate.alembic_config(), "message")`),
and `storage/schema.py` changes to match it.
"""
