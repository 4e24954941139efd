// Parses a big observation document off the main thread, and replaces inline binary (base64
// images) with placeholders there too, so the page never holds or clones megabytes of base64.
import { withoutBinary } from "./messages";

self.onmessage = (event: MessageEvent<{ id: number; text: string }>) => {
  const { id, text } = event.data;
  try {
    self.postMessage({ id, value: withoutBinary(JSON.parse(text)) });
  } catch (error) {
    self.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
};
