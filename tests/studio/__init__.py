"""Course staff in Studio: Advanced Settings sync, the course page, the video aside, a real browser."""
