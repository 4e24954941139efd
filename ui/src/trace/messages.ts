// Inputs and outputs as a chat: the message shapes the clients send, as the ingest stores them,
// read into one form. Pure functions, unit-tested (messages.test.ts). Recognised:
// - OpenAI chat messages ({role, content: string | parts, tool_calls, tool_call_id}), a response
//   ({choices: [{message}]}) or one choice ({message, finish_reason});
// - Anthropic content blocks (text, image, tool_use, tool_result, thinking), a request
//   ({system, messages}) or a response ({type: "message", content});
// - OpenTelemetry GenAI messages ({role, parts: [{type: text | tool_call | tool_call_response |
//   blob | uri | reasoning}], finish_reason}) and `system_instructions` (the ingest stores
//   {system_instructions, messages}); the legacy gen_ai.prompt.N / OpenInference lists fold into
//   OpenAI-like messages at ingest;
// - LangChain messages ({type: human | ai | system | tool, content}) and {messages: [...]};
// - a plain string.
// Anything else is shown as JSON. Images and base64 are never shown as text: a placeholder with
// the size stands in for them (`binaryInfo`).

export type Part =
  | { kind: "text"; text: string }
  | { kind: "reasoning"; text: string }
  | { kind: "tool_call"; id: string | null; name: string; arguments: unknown }
  | { kind: "tool_result"; id: string | null; content: unknown; isError: boolean }
  | { kind: "binary"; mediaType: string | null; size: string | null; url: string | null }
  | { kind: "json"; value: unknown };

export interface ChatMessage {
  /** user, assistant, system, tool...; null for a plain string. */
  role: string | null;
  name: string | null;
  parts: Part[];
  finishReason: string | null;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

const LANGCHAIN_ROLES: Record<string, string> = { human: "user", ai: "assistant", system: "system", tool: "tool", function: "tool" };

/** The value as chat messages, or null when it is not a shape this module knows. */
export function toChat(value: unknown): ChatMessage[] | null {
  if (typeof value === "string") return [{ role: null, name: null, parts: textParts(value), finishReason: null }];
  if (Array.isArray(value)) return messageList(value);
  if (!isObject(value)) return null;
  // {system_instructions, messages} (OTel GenAI), {system, messages} (Anthropic), {messages} (LangChain, Langfuse).
  if (Array.isArray(value.messages)) {
    const messages = messageList(value.messages);
    if (messages === null) return null;
    const system = value.system_instructions ?? value.system;
    if (system === undefined || system === null) return messages;
    return [{ role: "system", name: null, parts: contentParts(system), finishReason: null }, ...messages];
  }
  if (Array.isArray(value.choices)) {
    const choices = value.choices.map((choice) => (isObject(choice) ? toMessage(choice) : null));
    return choices.every((m) => m !== null) && choices.length > 0 ? (choices as ChatMessage[]) : null;
  }
  if (Array.isArray(value.candidates)) {
    // Gemini: {candidates: [{content: {role: "model", parts: [{text}]}, finishReason}]}
    const found = value.candidates.map((c) =>
      isObject(c) && isObject(c.content) ? toMessage({ ...c.content, finish_reason: c.finishReason }) : null,
    );
    return found.every((m) => m !== null) && found.length > 0 ? (found as ChatMessage[]) : null;
  }
  const single = toMessage(value);
  return single ? [single] : null;
}

function messageList(items: unknown[]): ChatMessage[] | null {
  if (items.length === 0) return null;
  const messages: ChatMessage[] = [];
  for (const item of items) {
    const message = isObject(item) ? toMessage(item) : null;
    if (message === null) return null;
    messages.push(message);
  }
  return messages;
}

/** One message (or one choice wrapping one), or null when the object is not a message. */
export function toMessage(raw: Json): ChatMessage | null {
  let m = raw;
  // An OpenAI choice {index, message, finish_reason}; OpenInference's {message: {...}} wrapper.
  if (!("role" in m) && isObject(m.message)) m = { ...m.message, finish_reason: m.finish_reason ?? m.message.finish_reason };
  const rawRole = text(m.role) ?? (typeof m.type === "string" && m.type in LANGCHAIN_ROLES ? m.type : null);
  const hasContent = "content" in m || Array.isArray(m.parts) || Array.isArray(m.tool_calls) || isObject(m.function_call);
  if (rawRole === null || !hasContent) return null;
  const role = LANGCHAIN_ROLES[rawRole] ?? rawRole;
  const parts: Part[] = [];
  const toolCallId = text(m.tool_call_id);
  if (role === "tool" && (toolCallId !== null || "content" in m)) {
    parts.push({ kind: "tool_result", id: toolCallId, content: simplify(m.content), isError: false });
  } else {
    if ("content" in m && m.content !== null && m.content !== "") parts.push(...contentParts(m.content));
    if (Array.isArray(m.parts)) parts.push(...contentParts(m.parts));
  }
  if (Array.isArray(m.tool_calls)) {
    for (const call of m.tool_calls) parts.push(toolCall(call));
  }
  if (isObject(m.function_call)) parts.push(toolCall({ function: m.function_call }));
  const finish = text(m.finish_reason) ?? text(m.stop_reason);
  return { role, name: text(m.name), parts, finishReason: finish };
}

function toolCall(call: unknown): Part {
  if (!isObject(call)) return { kind: "json", value: call };
  const fn = isObject(call.function) ? call.function : call;
  return {
    kind: "tool_call",
    id: text(call.id),
    name: text(fn.name) ?? "(unnamed tool)",
    arguments: parseMaybeJson(fn.arguments ?? fn.input ?? fn.args),
  };
}

/** A message's content (a string, a list of blocks or parts, one block) as parts. */
export function contentParts(content: unknown): Part[] {
  if (typeof content === "string") return textParts(content);
  if (Array.isArray(content)) return content.flatMap((block) => blockParts(block));
  if (isObject(content)) return blockParts(content);
  if (content === null || content === undefined) return [];
  return [{ kind: "text", text: String(content) }];
}

function textParts(value: string): Part[] {
  const binary = inlineBinary(value);
  return binary ? [{ kind: "binary", ...binary, url: null }] : [{ kind: "text", text: value }];
}

const PLACEHOLDER = /^\[(\S+) data not shown(?:, ([\d.]+ [KM]?B))?\]$/;

/** Inline binary, or the placeholder `withoutBinary` put in its place (the worker does that before this runs). */
function inlineBinary(value: string): { mediaType: string | null; size: string | null } | null {
  const placeholder = value.length < 100 ? PLACEHOLDER.exec(value) : null;
  if (placeholder) return { mediaType: placeholder[1] === "binary" ? null : (placeholder[1] ?? null), size: placeholder[2] ?? null };
  const info = binaryInfo(value);
  return info ? { mediaType: info.mediaType, size: formatBytes(info.bytes) } : null;
}

function blockParts(block: unknown): Part[] {
  if (typeof block === "string") return textParts(block);
  if (!isObject(block)) return [{ kind: "json", value: block }];
  const type = text(block.type);
  switch (type) {
    case "text":
    case "input_text":
    case "output_text":
      return textParts(text(block.text) ?? text(block.content) ?? "");
    case "thinking":
    case "reasoning":
      return [{ kind: "reasoning", text: text(block.thinking) ?? text(block.content) ?? text(block.text) ?? "" }];
    case "tool_use":
    case "tool_call":
    case "function_call":
      return [toolCall(block)];
    case "tool_result":
    case "tool_call_response":
    case "function_call_output":
      return [
        {
          kind: "tool_result",
          id: text(block.tool_use_id) ?? text(block.id) ?? text(block.call_id),
          content: simplify(block.content ?? block.response ?? block.output),
          isError: block.is_error === true,
        },
      ];
    case "image_url": {
      const url = isObject(block.image_url) ? text(block.image_url.url) : text(block.image_url);
      return [imagePart(url, null)];
    }
    case "image":
    case "document":
    case "blob":
    case "input_image":
    case "input_audio":
    case "file": {
      const source = isObject(block.source) ? block.source : block;
      const data = text(source.data) ?? text(source.content) ?? text(block.image_url) ?? text(source.url);
      const mediaType = text(source.media_type) ?? text(source.mime_type) ?? text(block.mime_type);
      return [imagePart(data, mediaType)];
    }
    case "uri":
      return [{ kind: "binary", mediaType: text(block.mime_type), size: null, url: text(block.uri) }];
    default:
      if (type === null && typeof block.text === "string" && Object.keys(block).length === 1) return textParts(block.text);
      return [{ kind: "json", value: block }];
  }
}

function imagePart(data: string | null, mediaType: string | null): Part {
  if (data === null) return { kind: "binary", mediaType, size: null, url: null };
  const binary = inlineBinary(data);
  if (binary) return { kind: "binary", mediaType: binary.mediaType ?? mediaType, size: binary.size, url: null };
  // Not inline data: a link to the image (never loaded: the page allows no third-party content).
  return { kind: "binary", mediaType, size: null, url: data };
}

/** A tool result's content: a list holding one text block reads as that text. */
function simplify(content: unknown): unknown {
  if (Array.isArray(content) && content.length === 1 && isObject(content[0]) && typeof content[0].text === "string") {
    return content[0].text;
  }
  return parseMaybeJson(content);
}

/** Tool arguments arrive as JSON text (OpenAI) or as objects (Anthropic): objects either way. */
export function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const trimmed = value.trim();
  if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) return value;
  try {
    return JSON.parse(trimmed);
  } catch {
    return value;
  }
}

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?((?:;[\w=.+-]*)*?);base64,/;
/** Long runs of base64 alphabet only: a strict test, checked on a prefix, then the length. */
const BASE64_MIN_CHARS = 1_000;
const BASE64_PREFIX = /^[A-Za-z0-9+/]{200}/;
const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}$/;

/** Inline binary (a data: URL or a long base64 string): its media type and decoded size; else null. */
export function binaryInfo(value: string): { mediaType: string | null; bytes: number } | null {
  const url = DATA_URL.exec(value.slice(0, 200));
  if (url) return { mediaType: url[1] ?? null, bytes: Math.floor(((value.length - url[0].length) * 3) / 4) };
  if (value.length < BASE64_MIN_CHARS || !BASE64_PREFIX.test(value)) return null;
  if (!BASE64.test(value)) return null;
  return { mediaType: null, bytes: Math.floor((value.replace(/[\r\n]/g, "").length * 3) / 4) };
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The placeholder a JSON view shows instead of inline binary. */
export function binaryPlaceholder(info: { mediaType: string | null; bytes: number | null }): string {
  const size = info.bytes === null ? "" : `, ${formatBytes(info.bytes)}`;
  return `[${info.mediaType ?? "binary"} data not shown${size}]`;
}

/** A copy of a JSON value with every inline binary string replaced by its placeholder. */
export function withoutBinary(value: unknown): unknown {
  if (typeof value === "string") {
    const info = binaryInfo(value);
    return info ? binaryPlaceholder(info) : value;
  }
  if (Array.isArray(value)) return value.map(withoutBinary);
  if (isObject(value)) {
    const copy: Json = {};
    for (const [key, child] of Object.entries(value)) copy[key] = withoutBinary(child);
    return copy;
  }
  return value;
}
