"""Plans linked across levels (一方案四清单): the item of a higher-level plan an item serves."""
