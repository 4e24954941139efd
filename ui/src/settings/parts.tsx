// Pieces every settings tab uses: the read-only notice, a refused change shown in words, a
// two-step confirmation, and a secret shown once with a copy button.
import { useState } from "react";
import { ApiError } from "../api/client";

export function ReadOnlyNotice({ children }: { children: React.ReactNode }) {
  return (
    <p className="banner banner-info settings-readonly" data-testid="read-only-notice">
      <span>{children}</span>
    </p>
  );
}

/** What the server answered to a change, in words: the 403 of a role check says which role it needs. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403) return `Refused by the server (403): ${error.message}.`;
    if (error.status === 409) return `Not done (409): ${error.message}.`;
    if (error.status === 404) return `Not found (404): ${error.message}.`;
    if (error.status === 422 || error.status === 400) return `Not accepted (${error.status}): ${error.message}`;
    return error.status ? `Failed (${error.status}): ${error.message}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ActionError({ error, testId = "action-error" }: { error: unknown; testId?: string }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-testid={testId}>
      {describeError(error)}
    </p>
  );
}

/** A button that asks "sure?" in place before it acts. */
export function ConfirmButton({
  label,
  question,
  confirmLabel,
  onConfirm,
  disabled,
  busy,
  title,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  busy?: boolean;
  title?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" className="button" disabled={disabled || busy} title={title} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span className="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        className="button button-danger"
        disabled={busy}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>
      <button type="button" className="button button-quiet" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Plain http on a LAN address is not a secure context: the old way still works there.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  if (!done) throw new Error("the browser refused to copy: select the text and copy it yourself");
}

/** A secret the server returned once (a new API key, a one-time password): kept in this component's
 * state only, never in the URL, the query cache or storage, so a reload cannot show it again. */
export function SecretOnce({
  title,
  label,
  secret,
  children,
  onDone,
  testId,
}: {
  title: string;
  label: string;
  secret: string;
  children?: React.ReactNode;
  onDone: () => void;
  testId: string;
}) {
  const [copied, setCopied] = useState<"no" | "yes" | string>("no");
  return (
    <section className="secret-once" data-testid={testId} aria-label={title}>
      <h3>{title}</h3>
      <p className="strong">Copy it now: you will not see it again. Theodolite keeps only a digest of it.</p>
      {children}
      <div className="secret-row">
        <span className="muted">{label}</span>
        <code className="secret-value" data-testid={`${testId}-value`}>
          {secret}
        </code>
        <button
          type="button"
          className="button"
          onClick={() =>
            copyText(secret).then(
              () => setCopied("yes"),
              (error: unknown) => setCopied(error instanceof Error ? error.message : String(error)),
            )
          }
        >
          {copied === "yes" ? "Copied" : "Copy"}
        </button>
      </div>
      {copied !== "no" && copied !== "yes" ? <p className="error-text">Copy failed: {copied}</p> : null}
      <button type="button" className="button button-primary" onClick={onDone}>
        I have copied it
      </button>
    </section>
  );
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString();
}
