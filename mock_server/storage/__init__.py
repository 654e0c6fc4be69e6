"""Where the state lives: one `Store` protocol, kept in memory or in a SQLite file.

Below the domain: it knows the records, nothing of the lifecycle or of HTTP.
"""
