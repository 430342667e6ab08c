# Type stubs for editors (VS Code/Pylance, PyCharm) and type checkers; MicroPython never
# reads them. Kept beside the code: tools/check_stubs.py (in the test suite) fails when a
# public name, member or parameter of a .py is missing from its .pyi.
from .backoff import Backoff as Backoff
from .client import ReconnectingTCPClient as ReconnectingTCPClient
from .ethernet import nic as nic
from .failure import Failure as Failure
from .failure import classify as classify
from .ntp import sync_time as sync_time
from .server import TCPServer as TCPServer

__version__: str
