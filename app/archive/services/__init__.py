"""Archive services: search and export (`archive`), signature verification (`verification`)."""
