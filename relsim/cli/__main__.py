"""``python -m relsim.cli``: the same as the ``relsim`` command."""

from relsim.cli import entry

entry()
