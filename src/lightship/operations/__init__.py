"""Operations: Prometheus alert rules and a Grafana dashboard over the service's series (``task=alerts``)."""
