"""Plan files (YAML): their schema, import into the tables and export from them."""
