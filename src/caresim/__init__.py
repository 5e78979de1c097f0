"""caresim: a discrete-event simulation of English adult social care personalisation from 2008.

The package simulates 152 councils moving service users onto personal budgets and direct
payments under the Social Care Reform Grant (2008/09 to 2010/11), then through post-2011
austerity, with prevention (reablement) feeding back into lower demand.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("caresim")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
