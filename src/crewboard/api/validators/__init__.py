"""Request and response schemas (Pydantic v2), kept apart from the ORM models."""
