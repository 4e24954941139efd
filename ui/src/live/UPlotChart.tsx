// uPlot (canvas time-series charts, ~50 KB, no dependencies) in a React component. The chart is
// made once per set of series and then only given new data, so a poll redraws without a flash.
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  /** How a value reads in the legend. */
  format?: (value: number | null) => string;
  fill?: boolean;
  /** A second y scale (drawn on the right), e.g. call counts beside dollars. */
  scale?: "count";
}

export function UPlotChart({
  title,
  series,
  data,
  height = 160,
  testId,
  bars = false,
  timeFormat = "{HH}:{mm}",
  xStepsS,
  utc = false,
}: {
  title: string;
  series: ChartSeries[];
  data: [number[], ...(number | null)[][]];
  height?: number;
  testId?: string;
  bars?: boolean;
  timeFormat?: string;
  /** Tick spacings to choose from on the time axis, in seconds (e.g. whole days). */
  xStepsS?: number[];
  /** Read the time axis in UTC (days of the cost report), not the browser's zone. */
  utc?: boolean;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(data);
  dataRef.current = data;
  const shape = JSON.stringify([title, series.map((s) => [s.label, s.color, s.scale]), height, bars, timeFormat, xStepsS, utc]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const muted = getComputedStyle(document.documentElement).getPropertyValue("--muted").trim() || "#667085";
    const border = getComputedStyle(document.documentElement).getPropertyValue("--border").trim() || "#e3e6eb";
    const axis = { stroke: muted, grid: { stroke: border, width: 1 }, ticks: { stroke: border, width: 1 } };
    const toDate = (seconds: number) => (utc ? uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC") : new Date(seconds * 1000));
    const options: uPlot.Options = {
      tzDate: toDate,
      width: Math.max(200, element.clientWidth),
      height,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      // Every figure here is a count, a rate or an amount: the axes start at 0.
      scales: {
        // Bars are centred on their time: half a step of room at each end keeps the first and last whole.
        x: bars
          ? {
              time: true,
              range: (u, min, max) => {
                const t = u.data[0];
                const half = t.length > 1 ? ((t[1] as number) - (t[0] as number)) / 2 : 43_200;
                return [min - half, max + half];
              },
            }
          : { time: true },
        y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
        count: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          ...axis,
          incrs: xStepsS,
          values: (_u, ticks) => ticks.map((tick) => uPlot.fmtDate(timeFormat)(toDate(tick))),
        },
        { ...axis, size: 56 },
        ...(series.some((s) => s.scale === "count") ? [{ ...axis, scale: "count", side: 1, size: 40, grid: { show: false } }] : []),
      ],
      series: [
        {},
        ...series.map((s, index) => ({
          label: s.label,
          scale: s.scale ?? "y",
          stroke: s.color,
          width: 1.5,
          fill: s.fill ? `${s.color}22` : undefined,
          spanGaps: false,
          paths: bars && index === 0 ? uPlot.paths.bars?.({ size: [0.7, 40] }) : undefined,
          value: s.format ? (_u: uPlot, value: number | null) => s.format!(value) : undefined,
          points: { show: false },
        })),
      ],
    };
    const chart = new uPlot(options, dataRef.current as uPlot.AlignedData, element);
    plot.current = chart;
    const observer = new ResizeObserver(() => chart.setSize({ width: Math.max(200, element.clientWidth), height }));
    observer.observe(element);
    return () => {
      observer.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `shape` stands for the options
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data as uPlot.AlignedData);
  }, [data]);

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={holder} className="chart-canvas" />
    </figure>
  );
}
