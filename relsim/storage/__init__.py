"""Files relsim writes and reads: atomic writes, output folders it owns, run folders.

Nothing here knows what a scenario or a simulation is; the layers above hand it paths and
writers. The promise kept here: relsim replaces or deletes only what it wrote itself, and a
file or folder it writes is either complete or absent.
"""
