"""The revisions, oldest first: r0001, r0002, ..."""
