"""The ``crewboard`` command line: admin commands on the database, and the server."""
