"""Progress reports (进展报告): filing, submission, review (审核) and their versions."""
