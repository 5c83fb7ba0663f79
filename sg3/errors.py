"""Exceptions for mistakes a user can make. Each message names the input and what was expected."""


class Sg3Error(ValueError):
    """Base class for user-facing errors raised by the sg3 library."""


class CheckpointError(Sg3Error):
    """A network file, URL or built-in name could not be turned into a generator."""


class TransformError(Sg3Error):
    """An input transform is not usable (wrong shape, not finite, singular)."""
