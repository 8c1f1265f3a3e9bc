"""Retargeting: first-party visitor cookie, consent, ad-platform pixels and events."""
