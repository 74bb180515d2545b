"""The item tree of a plan and its responsibilities (责任分工)."""
