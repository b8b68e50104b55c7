"""hubbub: a chat server that speaks IRC."""

__version__ = "0.1.0"
