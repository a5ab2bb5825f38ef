"""What is truly the same in every observed service: limits, seed data, work, metrics, telemetry, launch."""
