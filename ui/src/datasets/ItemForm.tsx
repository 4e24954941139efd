// One dataset item as JSON, to add or to edit: input, expected output and metadata are each a JSON
// value typed by the user (metadata an object). Nothing is sent until all three parse.
import { useState, type FormEvent } from "react";
import { Spinner } from "../components/states";
import { ActionError } from "../settings/parts";
import type { DatasetItem, ItemIn } from "./api";

function jsonText(value: unknown): string {
  return value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
}

/** The value of a JSON field (empty: null), or the reason it is not JSON. */
export function parseJsonField(label: string, text: string): { value: unknown } | { error: string } {
  if (text.trim() === "") return { value: null };
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { error: `${label} is not valid JSON (${reason}); text is written in quotes: "Paris"` };
  }
}

export function ItemForm({
  item,
  busy,
  error,
  onSave,
  onCancel,
}: {
  /** The item to edit, or null for a new one. */
  item: DatasetItem | null;
  busy: boolean;
  error: unknown;
  onSave: (item: ItemIn) => void;
  onCancel: () => void;
}) {
  const [id, setId] = useState(item?.id ?? "");
  const [input, setInput] = useState(jsonText(item?.input));
  const [expected, setExpected] = useState(jsonText(item?.expected_output));
  const [metadata, setMetadata] = useState(jsonText(item?.metadata));
  const [problem, setProblem] = useState<string | null>(null);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    const fields = [
      parseJsonField("Input", input),
      parseJsonField("Expected output", expected),
      parseJsonField("Metadata", metadata),
    ];
    const failed = fields.find((field) => "error" in field);
    if (failed && "error" in failed) {
      setProblem(failed.error);
      return;
    }
    const [inputValue, expectedValue, metadataValue] = fields.map((field) => ("value" in field ? field.value : null));
    if (metadataValue !== null && (typeof metadataValue !== "object" || Array.isArray(metadataValue))) {
      setProblem('Metadata must be a JSON object, such as {"topic": "geography"}');
      return;
    }
    setProblem(null);
    onSave({
      ...(id.trim() === "" ? {} : { id: id.trim() }),
      input: inputValue,
      expected_output: expectedValue,
      metadata: metadataValue as Record<string, unknown> | null,
      // An edit keeps the trace the item came from.
      source_trace_id: item?.source_trace_id ?? null,
      source_observation_id: item?.source_observation_id ?? null,
    });
  };

  return (
    <form className="item-form panel" aria-label={item ? `Edit item ${item.id}` : "New item"} onSubmit={onSubmit}>
      <label className="field field-wide">
        <span>{item ? "Item id" : "Item id (optional: a new random id)"}</span>
        <input aria-label="Item id" value={id} maxLength={200} readOnly={item !== null} onChange={(e) => setId(e.target.value)} />
      </label>
      <label className="field">
        <span>Input (JSON)</span>
        <textarea aria-label="Input" value={input} onChange={(e) => setInput(e.target.value)} spellCheck={false} />
      </label>
      <label className="field">
        <span>Expected output (JSON)</span>
        <textarea aria-label="Expected output" value={expected} onChange={(e) => setExpected(e.target.value)} spellCheck={false} />
      </label>
      <label className="field">
        <span>Metadata (JSON object)</span>
        <textarea aria-label="Metadata" value={metadata} onChange={(e) => setMetadata(e.target.value)} spellCheck={false} />
      </label>
      {problem ? (
        <p className="form-error field-wide" role="alert" data-testid="item-form-error">
          {problem}
        </p>
      ) : null}
      <div className="field-wide">
        <ActionError error={error} />
      </div>
      <div className="item-form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? <Spinner label="Saving…" /> : item ? "Save the item" : "Add the item"}
        </button>
        <button type="button" className="button button-quiet" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted">Saving makes a new version; older versions keep what they held.</span>
      </div>
    </form>
  );
}
