"""wiznet_net: a resilient TCP client and an Ethernet bring-up helper for WIZnet boards.

    from wiznet_net import nic, ReconnectingTCPClient, Backoff, classify
"""

__version__ = "0.1.0"

from ._compat import call_cold
from .backoff import Backoff
from .client import ReconnectingTCPClient
from .failure import Failure, classify


def nic(*args, **kwargs):
    """Bring up the Ethernet interface: :func:`wiznet_net.ethernet.nic`, same arguments.

    The bring-up code (boards, pin maps, the DHCP wait) runs once per boot, so it is
    loaded for this call and dropped after it - about 9 KB of heap the application gets
    back - unless ``wiznet_net.ethernet`` was imported by other code already.
    """
    return call_cold("ethernet", "nic", *args, **kwargs)
