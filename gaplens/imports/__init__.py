"""Import infrastructure: the run log, raw rows kept with their source, bulk writes and the
second import process. No capability: the importers that use it live in their packages."""
