"""Cost inputs (licence seat prices, loaded hourly cost) and the report's cost section."""
