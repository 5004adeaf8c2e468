"""The environment firms live in: macro, BTC price, power prices and the ASIC market."""
