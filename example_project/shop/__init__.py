"""The demo shop app: catalogue, baskets and purchases owned by the example project."""
