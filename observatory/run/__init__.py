"""Running things: services, Prometheus and k6 as owned processes, and the trials that use them."""
