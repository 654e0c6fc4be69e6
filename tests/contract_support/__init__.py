"""Helpers for the tests that run the contract suite itself (`tests/test_contract_*.py`)."""
