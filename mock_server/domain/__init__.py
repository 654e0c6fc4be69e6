"""The fake service itself: ledger, lifecycle, timeline, prompt rules. No Flask, no HTTP.

Everything here is driven by plain calls (the web layer, the in-process mode and tests all call
the same `MidjourneyBackend`), and persists through `mock_server.storage`.
"""
