"""The change history (变更记录) of reporting_api's records."""
