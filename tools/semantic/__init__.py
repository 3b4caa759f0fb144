"""The semantic layer: metric catalog, dimensions, filters and the Ibis compiler."""
