"""Read queries of the orders app, one module per area, each with a fixed number of queries."""
