"""Calendar feeds (RFC 5545) of a unit's deadlines, behind revocable feed tokens."""
