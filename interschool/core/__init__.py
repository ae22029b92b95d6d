"""Core: networks (tenants), organisations, users, memberships and roles, access, audit, notifications."""
