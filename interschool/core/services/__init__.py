"""Core write operations: every change to state goes through a function in this package."""
