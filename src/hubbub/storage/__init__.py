"""Adapters for what the core keeps: passwords now; accounts and history later."""
