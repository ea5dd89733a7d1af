"""newscli: news from the web as clean articles, for terminals, pipes and static sites."""

__version__ = "0.1.0"
