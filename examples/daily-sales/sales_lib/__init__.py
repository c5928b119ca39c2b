"""Transformations for the daily-sales example, shipped to the driver and executors as a py-file."""
