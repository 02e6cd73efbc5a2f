"""Two-way sync of the markdown files with the server (``crewboard sync``): docs/sync.md.

``plan`` holds the pure diffs of hand edits, ``state`` what a run remembers and how files are
written, ``engine`` one run over the API, ``report`` the conflict report, ``follow`` the
``--watch`` loop.
"""
