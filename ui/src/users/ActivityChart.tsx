// A user's activity by day, drawn with uPlot (canvas, no dependencies): traces as bars on the left
// axis, cost in USD as a line on the right. The chart follows its container's width.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { formatUsd } from "../format";
import type { DailyColumns } from "./series";

const HEIGHT_PX = 240;
const DAY_S = 86_400;
const HALF_DAY_S = DAY_S / 2;
// Trace counts are whole: no 0.5 ticks.
const WHOLE_STEPS = [1, 2, 5].flatMap((step) => [1, 10, 100, 1_000, 10_000, 100_000].map((scale) => step * scale)).sort((a, b) => a - b);
const DAY_STEPS = [1, 2, 7, 14, 30, 91, 182, 365].map((days) => days * DAY_S);

export function ActivityChart({ columns }: { columns: DailyColumns }) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = holder.current;
    if (!element || columns.days.length === 0) return;
    const styles = getComputedStyle(document.documentElement);
    const accent = styles.getPropertyValue("--accent").trim() || "#2563eb";
    const costColour = "#b45309";
    const options: uPlot.Options = {
      width: Math.max(320, element.clientWidth),
      height: HEIGHT_PX,
      scales: {
        // Half a day either side, so the first and last days' bars are whole.
        x: { time: true, range: (_u, min, max) => [min - HALF_DAY_S, max + HALF_DAY_S] },
        traces: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        usd: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      series: [
        { value: (_u, ts) => (ts == null ? "—" : new Date(ts * 1000).toISOString().slice(0, 10)) },
        {
          label: "Traces",
          scale: "traces",
          stroke: accent,
          fill: `${accent}55`,
          paths: uPlot.paths.bars!({ size: [0.6, 40] }),
          points: { show: false },
          value: (_u, v) => (v == null ? "—" : v.toLocaleString("en-US")),
        },
        {
          label: "Cost (USD)",
          scale: "usd",
          stroke: costColour,
          width: 2,
          spanGaps: false,
          // No cursor: no value. At a day: null is a day whose calls had no price (unpriced, not $0).
          value: (u, v) => (u.cursor.idx == null ? "—" : v == null ? "unpriced" : formatUsd(v)),
        },
      ],
      axes: [
        {
          space: 60,
          incrs: DAY_STEPS,
          values: (_u, splits) => splits.map((s) => new Date(s * 1000).toISOString().slice(5, 10)),
        },
        { scale: "traces", label: "traces / day", size: 56, incrs: WHOLE_STEPS },
        {
          scale: "usd",
          side: 1,
          label: "USD / day",
          size: 64,
          grid: { show: false },
          values: (_u, splits) => splits.map((v) => formatUsd(v)),
        },
      ],
      legend: { show: true },
    };
    const data: uPlot.AlignedData = [columns.days, columns.traces, columns.cost];
    const chart = new uPlot(options, data, element);
    element.dataset.drawn = "true";
    const observer = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(320, element.clientWidth), height: HEIGHT_PX });
    });
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      delete element.dataset.drawn;
    };
  }, [columns]);
  return (
    <div className="activity-chart" ref={holder} data-testid="activity-chart" role="img" aria-label="Traces and cost per day" />
  );
}
