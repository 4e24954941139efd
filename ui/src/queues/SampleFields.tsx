// The sample and the cap both "Add items" panels (traces, observations) send: their fields, and the
// check that turns them into the request's sample_rate and max_items or says what is wrong.
import { sampleRate } from "./api";

const MAX_ITEMS = 10_000; // the server's most per request

export interface SampleState {
  percent: string;
  max: string;
}

export const DEFAULT_SAMPLE: SampleState = { percent: "100", max: "1000" };

/** {sample_rate, max_items}, or the problem to show. */
export function checkSample(sample: SampleState): { sample_rate: number; max_items: number } | string {
  const rate = sampleRate(sample.percent);
  const most = Number(sample.max.trim());
  if (rate === null) return "Sample: a percentage above 0 and up to 100.";
  if (!/^\d+$/.test(sample.max.trim()) || most < 1 || most > MAX_ITEMS) {
    return `At most: a whole number from 1 to ${MAX_ITEMS.toLocaleString("en")}.`;
  }
  return { sample_rate: rate, max_items: most };
}

export function SampleFields({ sample, onChange }: { sample: SampleState; onChange: (sample: SampleState) => void }) {
  return (
    <>
      <label className="field">
        <span>Sample, %</span>
        <input aria-label="Sample percent" inputMode="decimal" className="new-queue-number" value={sample.percent}
               onChange={(e) => onChange({ ...sample, percent: e.target.value })} />
      </label>
      <label className="field">
        <span>At most</span>
        <input aria-label="At most" inputMode="numeric" className="new-queue-number" value={sample.max}
               onChange={(e) => onChange({ ...sample, max: e.target.value })} />
      </label>
    </>
  );
}
