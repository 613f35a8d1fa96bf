"""jslab: learn and explore NATS JetStream in Jupyter against a real nats-server.

    >>> import jslab
    >>> lab = jslab.start()            # bundled nats-server on 127.0.0.1, fresh store
    >>> lab.add_stream("ORDERS", subjects=["orders.>"])
"""

from . import check
from .entry import connect, start
from .errors import JetStreamError, JslabError, ValidationError
from .lab import Lab
from .messages import Batch, JsMessage, PublishResult, StoredMessage
from .server import LocalCluster, LocalServer
from .snapshot import ConsumerSnapshot, StreamSnapshot

__version__ = "0.1.0"

__all__ = [
    "Batch",
    "ConsumerSnapshot",
    "JetStreamError",
    "JsMessage",
    "JslabError",
    "Lab",
    "LocalCluster",
    "LocalServer",
    "PublishResult",
    "StoredMessage",
    "StreamSnapshot",
    "ValidationError",
    "__version__",
    "check",
    "connect",
    "start",
]
