"""Reading one page: bytes to text, the article body and its clean-up, plain text, metadata, the extractor worker pool."""
