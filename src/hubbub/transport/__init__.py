"""Transports: turn sockets into lines for the engine, and bytes back into sockets."""
