"""What the tests share: settings, the world they build, and helpers for each face."""
