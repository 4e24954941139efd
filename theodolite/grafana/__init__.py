"""The Grafana bundle: dashboards built as code (grafana-foundation-sdk) from the metric
catalog, and the provisioning tree `theodolite grafana export` writes."""
