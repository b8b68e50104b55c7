"""The terminal chat client (`hubbub chat`): plain IRC, any server.

Sans-I/O pieces (`session`, `model`, `commands`) are plain objects; `connection`
and `runner` add asyncio; `plain` and `tui` only render.
"""
