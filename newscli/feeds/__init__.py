"""Feeds: RSS/Atom/JSON Feed parsed into entries, feed discovery, OPML, and the subscriptions in config.toml."""
