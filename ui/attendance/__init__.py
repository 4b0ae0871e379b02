"""Taking attendance and the attendance office's lists."""
