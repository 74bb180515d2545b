"""Evidence (佐证材料) in tasks_api: files a lead unit attaches to its close-out request, and other owners alike."""
