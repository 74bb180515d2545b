"""notify_api's second peer: reporting_api, which knows who has not reported (its tasks_api peer is common)."""
