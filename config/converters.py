class IdConverter:
    """A database id: digits that fit a 64-bit integer, or the URL does not match (404).

    Django's own `int` takes any length, and an id past 2**63 makes SQLite
    raise OverflowError, a 500, where it should be "not found".
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
