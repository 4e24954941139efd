// An input or output as a chat (roles, text as markdown, tool calls and results), or as JSON when
// it is not a known message shape (messages.ts). Markdown is rendered by react-markdown, which
// builds React elements and never injects HTML: raw HTML in a message is dropped (skipHtml) and
// link URLs are sanitised (its default urlTransform). Images are never loaded: the page fetches
// nothing from elsewhere, and base64 is shown as a placeholder with its size.
import { useMemo, useState } from "react";
import Markdown, { type Components } from "react-markdown";
import { JsonTree } from "../components/JsonTree";
import { type ChatMessage, type Part, toChat } from "./messages";

/** Text longer than this is folded: markdown over megabytes of text would freeze the tab. */
export const FOLD_CHARS = 4_000;

const MARKDOWN_COMPONENTS: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  // Never fetched: a third-party image would leak the viewer's address (and CSP refuses it).
  img: ({ alt, src }) => <span className="chat-binary">[image{alt ? `: ${alt}` : ""}{src ? ` — ${src}` : ""}]</span>,
};

function FoldedText({ text, markdown }: { text: string; markdown: boolean }) {
  const [full, setFull] = useState(false);
  const long = text.length > FOLD_CHARS;
  const shown = long && !full ? text.slice(0, FOLD_CHARS) : text;
  return (
    <div className="chat-text">
      {markdown ? (
        <Markdown skipHtml components={MARKDOWN_COMPONENTS}>
          {shown}
        </Markdown>
      ) : (
        <pre className="chat-pre">{shown}</pre>
      )}
      {long ? (
        <button type="button" className="button button-quiet" onClick={() => setFull(!full)}>
          {full ? "Fold" : `… show all ${text.length.toLocaleString("en-US")} characters`}
        </button>
      ) : null}
    </div>
  );
}

function Value({ value }: { value: unknown }) {
  if (typeof value === "string") return <FoldedText text={value} markdown={false} />;
  if (value === undefined) return null;
  return <JsonTree value={value} />;
}

function PartView({ part }: { part: Part }) {
  switch (part.kind) {
    case "text":
      return <FoldedText text={part.text} markdown />;
    case "reasoning":
      return (
        <details className="chat-reasoning">
          <summary>Reasoning</summary>
          <FoldedText text={part.text} markdown />
        </details>
      );
    case "tool_call":
      return (
        <div className="chat-tool" data-testid="chat-tool-call">
          <div className="chat-tool-head">
            Tool call <strong>{part.name}</strong> {part.id ? <code className="muted">{part.id}</code> : null}
          </div>
          <Value value={part.arguments} />
        </div>
      );
    case "tool_result":
      return (
        <div className={`chat-tool ${part.isError ? "chat-tool-error" : ""}`} data-testid="chat-tool-result">
          <div className="chat-tool-head">
            Tool result {part.isError ? <strong className="error-text">(error)</strong> : null}{" "}
            {part.id ? <code className="muted">{part.id}</code> : null}
          </div>
          <Value value={part.content} />
        </div>
      );
    case "binary":
      return (
        <div className="chat-binary" data-testid="chat-binary">
          [{part.mediaType ?? "binary data"}
          {part.size ? `, ${part.size}` : ""}
          {part.url ? ` — ${part.url}` : ""}: not shown]
        </div>
      );
    case "json":
      return <JsonTree value={part.value} />;
  }
}

function MessageView({ message }: { message: ChatMessage }) {
  const role = message.role ?? "text";
  return (
    <div className={`chat-message chat-role-${role.replace(/[^a-z]/gi, "")}`} data-testid="chat-message">
      <div className="chat-role" data-testid="chat-role">
        {role}
        {message.name ? <span className="muted"> · {message.name}</span> : null}
        {message.finishReason ? <span className="muted"> · {message.finishReason}</span> : null}
      </div>
      {message.parts.length === 0 ? <span className="muted">(empty)</span> : null}
      {message.parts.map((part, index) => (
        <PartView key={index} part={part} />
      ))}
    </div>
  );
}

/** `value` as chat messages when it has a known shape, else as JSON (or nothing when absent). */
export function ChatView({ value, label }: { value: unknown; label: string }) {
  const chat = useMemo(() => (value === null || value === undefined ? null : toChat(value)), [value]);
  const [raw, setRaw] = useState(false);
  if (value === null || value === undefined) return null;
  return (
    <section className="detail-section" data-testid={`detail-${label.toLowerCase()}`}>
      <h3>
        {label}
        {chat ? (
          <button type="button" className="button button-quiet" onClick={() => setRaw(!raw)}>
            {raw ? "Chat" : "JSON"}
          </button>
        ) : null}
      </h3>
      {chat && !raw ? (
        <div className="chat">
          {chat.map((message, index) => (
            <MessageView key={index} message={message} />
          ))}
        </div>
      ) : (
        <Value value={value} />
      )}
    </section>
  );
}
