"""Reporting periods (报送周期): quarters, half-years and years of a plan, with their due dates."""
