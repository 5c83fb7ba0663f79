"""Exceptions for mistakes a user can make. Each message names the input and what was expected."""


class Sg3Error(ValueError):
    """Base class for user-facing errors raised by the sg3 library."""


class CheckpointError(Sg3Error):
    """A network file, URL or built-in name could not be turned into a generator."""


class TransformError(Sg3Error):
    """An input transform is not usable (wrong shape, not finite, singular)."""


class OpArgumentError(Sg3Error):
    """An op (sg3.ops) was called with an argument it does not take: a shape, size, factor, padding, filter
    or number out of its range, or a buffer the native kernel cannot read."""


class OpTypeError(OpArgumentError, TypeError):
    """An op argument of the wrong type or dtype (a list where a tensor goes, int64 where float32 goes)."""
