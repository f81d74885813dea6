"""Server-rendered pages of the dossiers app (citizen area, desk, tracking, downloads)."""
