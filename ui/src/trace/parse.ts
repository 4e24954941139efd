// Observation documents can be megabytes (long prompts, base64 images). Small ones are parsed
// here; bigger ones in a Web Worker so that a click never freezes the page; the biggest are not
// rendered at all but offered as a download.
import { withoutBinary } from "./messages";

/** Below this many characters, parsing on the main thread is faster than a round trip to the worker. */
export const WORKER_MIN_CHARS = 200_000;
/** Above this many characters, the document is not rendered (Langfuse gates at 2 M characters too). */
export const MAX_RENDERED_CHARS = 5_000_000;

let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

function parser(): Worker {
  if (worker === null) {
    worker = new Worker(new URL("./parse.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (event: MessageEvent<{ id: number; value?: unknown; error?: string }>) => {
      const waiting = pending.get(event.data.id);
      pending.delete(event.data.id);
      if (!waiting) return;
      if (event.data.error !== undefined) waiting.reject(new Error(event.data.error));
      else waiting.resolve(event.data.value);
    };
  }
  return worker;
}

/** The JSON document `text` with inline binary replaced by placeholders. */
export function parseDocument(text: string): Promise<unknown> {
  if (text.length < WORKER_MIN_CHARS) return Promise.resolve(withoutBinary(JSON.parse(text)));
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    parser().postMessage({ id, text });
  });
}
