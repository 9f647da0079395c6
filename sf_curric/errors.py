"""Errors a user fixes by changing their input: the lowest module of sf_curric, so every package can raise them."""


class ConfigError(ValueError):
    """An invalid configuration; the message is one line that says what to change (the programs exit with 2)."""
