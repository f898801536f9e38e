"""``relsim app``: the teaching page (the leaky bucket), served live or exported as files."""
