"""Evidence (佐证材料) of progress reports: files a unit attaches to its report, frozen once submitted."""
