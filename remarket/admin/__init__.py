from remarket.admin import audiences  # noqa: F401
