"""Use-case scorecard (capability 4): working, friction or unknown, with the evidence and n."""
