"""``ln.core.exceptions``: the same classes as ``ln.errors``."""

from ..errors import *  # noqa: F403
from ..errors import __all__  # noqa: F401
