"""What an item is measured by: indicators (指标), milestones (节点) and lead leaders (牵头领导)."""
