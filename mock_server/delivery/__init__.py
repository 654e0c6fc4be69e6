"""hookUrl delivery, beside the domain: policy, per-receiver lanes, the sender, the journal.

The domain knows it only through the `Deliveries` protocol (`domain.timeline`); the composition
root (`mock_server.compose`) picks background lanes (server) or inline sending (in-process).
"""
