"""How the mock meets a client: a real HTTP server, or in-process interception.

Both are built by `mock_server.compose.build_mock`; they differ only in transport and delivery.
"""
