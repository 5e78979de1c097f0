"""Errors raised by caresim.

Every error caused by bad input derives from :class:`InputError`; the command line maps it to
exit status 2 and prints its message as one paragraph, never a traceback.
"""

from __future__ import annotations

import errno


class CaresimError(Exception):
    """Base class of every error caresim raises on purpose."""


class InputError(CaresimError):
    """Bad input from the user: a file, a key, a value or a command-line argument."""


class ScenarioError(InputError):
    """A scenario file is missing, unreadable or invalid.

    Parameters
    ----------
    file : str
        The scenario file the problem is in (or the chain of files, when it is resolved).
    key : str
        Dotted key path inside the file, e.g. ``grant.tranches_gbp.values``; empty for the file.
    expected : str
        What was expected there.
    found : str
        What was found.
    hint : str, optional
        A suggestion, such as the nearest valid key.
    """

    def __init__(self, file: str, key: str, expected: str, found: str, hint: str = "") -> None:
        self.file = file
        self.key = key
        self.expected = expected
        self.found = found
        self.hint = hint
        where = f"{file}: key '{key}'" if key else f"{file}"
        message = f"{where}: expected {expected}; found {found}."
        if hint:
            message += f" {hint}"
        super().__init__(message)


class CouncilError(InputError):
    """A council named on the command line or in a scenario is not one of the 152.

    Parameters
    ----------
    token : str
        What was given.
    hint : str
        Close names, as a sentence (may be empty).
    """

    def __init__(self, token: str, hint: str = "") -> None:
        self.token = token
        self.hint = hint
        super().__init__(
            f"council '{token}': expected the name or GSS code of one of the 152 English "
            f"councils with adult social services responsibilities (see `caresim councils`); "
            f"found no match.{(' ' + hint) if hint else ''}")


class RunStoreError(InputError):
    """An output folder or run folder cannot be used (for example it does not exist)."""


ENVIRONMENT_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS", "EACCES", "EPERM", "ENOTDIR",
                                      "EISDIR", "ENAMETOOLONG", "EFBIG", "ELOOP")
    if hasattr(errno, name))
"""File-system errors caused by where caresim was asked to read or write, not by caresim."""


def from_os_error(exc: OSError) -> InputError | None:
    """A one-paragraph :class:`InputError` for a file-system error in ``ENVIRONMENT_ERRNOS``
    (a full disk, a read-only folder, a path through a file), else None.

    Parameters
    ----------
    exc : OSError
        The error raised while reading or writing.
    """
    if exc.errno not in ENVIRONMENT_ERRNOS:
        return None
    where = exc.filename if exc.filename is not None else "a file caresim writes"
    expected = ("free space on the disk" if exc.errno == errno.ENOSPC
                else "a location caresim can read and write")
    return InputError(f"{where}: expected {expected}; found {exc.strerror or exc}.")
