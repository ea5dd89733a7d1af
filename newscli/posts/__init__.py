"""Posts: front matter, templates, Markdown bodies, file names, and the output folder that saves them."""
