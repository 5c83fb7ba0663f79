"""The view core: controllers, the view state, sessions, settings and shortcuts. No toolkit, no torch."""
