"""wiznet_net: a resilient TCP client and server and an Ethernet bring-up helper for
WIZnet boards.

    from wiznet_net import nic, ReconnectingTCPClient, TCPServer, Backoff, classify, sync_time
"""

__version__ = "0.1.0"

from ._compat import call_cold as _call_cold


def nic(*args, **kwargs):
    """Bring up the Ethernet interface: :func:`wiznet_net.ethernet.nic`, same arguments.

    The bring-up code (boards, pin maps, the DHCP wait) runs once per boot, so it is
    loaded for this call and dropped after it - about 9 KB of heap the application gets
    back - unless ``wiznet_net.ethernet`` was imported by other code already.
    """
    return _call_cold("ethernet", "nic", *args, **kwargs)


def sync_time(*args, **kwargs):
    """Set the board's clock from a time server: :func:`wiznet_net.ntp.sync_time`, same
    arguments. Loaded for the call and dropped after it, as :func:`nic` is."""
    return _call_cold("ntp", "sync_time", *args, **kwargs)


def __getattr__(name):
    # The other public names load their modules when first asked for: a program that
    # uses only the asyncio client (wiznet_net.aio) never loads the blocking one.
    if name == "ReconnectingTCPClient":
        from .client import ReconnectingTCPClient as value
    elif name == "TCPServer":
        from .server import TCPServer as value
    elif name == "Backoff":
        from .backoff import Backoff as value
    elif name == "Failure":
        from .failure import Failure as value
    elif name == "classify":
        from .failure import classify as value
    else:  # a submodule (`from wiznet_net import aio` asks here first), or no such name
        return _call_cold("_checks", "package_attr", __name__, name)
    globals()[name] = value  # from now on found without this function
    return value
