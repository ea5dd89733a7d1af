"""The network layer: the one place that talks to the network (caps, deadlines, redirects, proxies), and local files."""
