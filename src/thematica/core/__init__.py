"""The domain core: plain-Python models and pure logic, with no storage or I/O of its own."""
