"""Server-rendered views of the patients app (one module per area)."""
