"""Framework adapters. Each package imports its framework lazily."""
