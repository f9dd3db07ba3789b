"""Leadership modelling (capability 10): leaders publish how they use AI, failures included."""
