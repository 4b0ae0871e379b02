"""A person's session: sign-in, the first sync, the idle lock, settings, the sync
and the changes that wait for attention."""
