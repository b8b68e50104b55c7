"""`hubbub bench`: a load generator for any IRC server, and the figures it reports."""
