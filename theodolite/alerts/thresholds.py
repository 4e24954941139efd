"""Alert thresholds: settings (THEODOLITE_ALERT_*); defaults are values teams used in hand-written alerts."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertThresholds(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="THEODOLITE_ALERT_", extra="forbid")

    daily_cost_high_usd: float = Field(10.0, gt=0, description="Cost of a project over 24 h: warning ($10).")
    daily_cost_critical_usd: float = Field(50.0, gt=0, description="... critical ($50).")
    fallback_rate_high: float = Field(0.20, gt=0, le=1, description="Share of generations served by a fallback over "
                                      "15 min: warning (20%).")  # fmt: skip
    fallback_rate_critical: float = Field(0.50, gt=0, le=1, description="... critical (50%).")
    latency_p95_high_s: float = Field(30.0, gt=0, description="p95 generation duration over 5 min: warning (30 s).")
    latency_p95_critical_s: float = Field(45.0, gt=0, description="... critical (45 s).")
    cache_hit_rate_low: float = Field(0.20, gt=0, le=1, description="Cache-hit share below this for 2 h (20%).")
    stuck_generations: float = Field(10.0, gt=0, description="Generations in flight at once for 15 min (10).")
    no_activity_window: str = Field("1h", description="No generation at all for this long (a Prometheus duration).")
    fallback_spike_factor: float = Field(3.0, gt=1, description="Fallbacks per second now vs. an hour ago.")
    fallback_spike_min_per_minute: float = Field(
        1.0, ge=0, description="... and at least this many fallbacks a minute over 5 min (the first ones after a "
        "quiet hour are no spike).")  # fmt: skip
    error_rate: float = Field(0.05, gt=0, le=1, description="Share of generations failing over 5 min (5%).")
    entity_daily_budget_usd: float = Field(5.0, gt=0, description="Any feature (or user, when user_id is a label) "
                                           "over this many dollars in 24 h.")  # fmt: skip
    # The `app` profile (theodolite/alerts/app_rules.py), on an application's own metrics.
    app_daily_cost_usd: float = Field(100.0, gt=0, description="An application's LLM cost over 24 h, as it "
                                      "counts it (app_llm_cost_usd_total): $100.")  # fmt: skip
    app_error_rate: float = Field(0.05, gt=0, le=1, description="An application's errors per HTTP request "
                                  "over 5 min: 5%.")  # fmt: skip
    app_latency_p95_s: float = Field(5.0, gt=0, description="p95 duration of an application's LLM calls "
                                     "over 5 min: 5 s.")  # fmt: skip
