"""``python -m relsim.cli``: the same as the ``relsim`` command."""

from relsim.cli import entry

if __name__ == "__main__":
    entry()
