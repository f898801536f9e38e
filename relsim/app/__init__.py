"""``relsim app``: the interactive leaky-bucket page for teaching (Dash)."""
