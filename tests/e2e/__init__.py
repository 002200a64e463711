"""End-to-end tier: the local stack over real HTTP, the browser, fuzzing, concurrency."""
