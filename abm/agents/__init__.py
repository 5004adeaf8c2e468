"""Miner firms (mesa agents), their sites, fleets and balance sheets, and how they are drawn."""
