"""In-process Prometheus metrics for applications that expose their own /metrics.

    from theodolite.metrics import LLMMetrics
    metrics = LLMMetrics(project="support-bot", version="1.4.2")
    metrics.track_llm_call("gpt-4o-mini", "summarise", prompt_tokens=812, completion_tokens=95,
                           duration=1.42, status="success")
    app.mount("/metrics", metrics.asgi_app(token="s3cret"))     # or metrics.wsgi_app()

Names follow the OpenTelemetry GenAI conventions where they have one
(gen_ai_client_operation_duration_seconds, gen_ai_client_token_usage), and otherwise the ones
Theodolite's server derives from traces (theodolite_generations_total, theodolite_tokens_total,
theodolite_cost_usd_total...), with the same labels, so one dashboard reads either source.
Each LLMMetrics owns its registry: nothing is added to prometheus_client's global one.
"""

from theodolite.metrics.inprocess import LLMMetrics, default_metrics, set_default_metrics

__all__ = ["LLMMetrics", "default_metrics", "set_default_metrics"]
