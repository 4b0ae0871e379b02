"""Pieces every screen uses: messages, background tasks, forms, exports."""
