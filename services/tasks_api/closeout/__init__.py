"""Close-out (办结销号): the lead unit asks, the office approves or refuses, and may reopen."""
