"""Errors of the measures layer (bad input: exit status 2 at the command line)."""

from __future__ import annotations

from caresim.errors import InputError


class MeasureError(InputError):
    """A measure, period or scope asked for that the layer cannot give."""


class MissingStateError(MeasureError):
    """A measure whose official definition needs model state the model does not keep yet.

    Parameters
    ----------
    name : str
        The measure.
    missing : str
        What the model would have to record.
    nearest : str
        The nearest measure the model can give, and how it differs (may be empty).
    """

    def __init__(self, name: str, missing: str, nearest: str = "") -> None:
        self.name = name
        self.missing = missing
        self.nearest = nearest
        text = (f"measure '{name}': expected a quantity the model records; found that it "
                f"needs state the model does not keep: {missing}")
        if nearest:
            text += f" The nearest measure is {nearest}"
        super().__init__(text)
