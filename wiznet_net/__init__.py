"""wiznet_net: a resilient TCP client and an Ethernet bring-up helper for WIZnet boards.

    from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify
"""

__version__ = "0.1.0"

from .backoff import Backoff
from .client import ReconnectingTCPClient
from .ethernet import nic
from .failure import Failure, classify
