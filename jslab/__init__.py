"""jslab: learn and explore NATS JetStream in Jupyter against a real nats-server.

    >>> import jslab
    >>> lab = jslab.start()            # bundled nats-server on 127.0.0.1, fresh store
"""

__version__ = "0.1.0"
