import { describe, expect, it } from "vitest";
import { binaryInfo, toChat, withoutBinary } from "./messages";

const PNG = "iVBORw0KGgo" + "A".repeat(4000);

describe("toChat", () => {
  it("reads a plain string", () => {
    expect(toChat("Bonjour")).toEqual([{ role: null, name: null, parts: [{ kind: "text", text: "Bonjour" }], finishReason: null }]);
  });

  it("reads OpenAI chat messages with tool calls and tool results", () => {
    const chat = toChat([
      { role: "system", content: "Be brief." },
      { role: "user", content: [{ type: "text", text: "Weather?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
      { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
      { role: "tool", tool_call_id: "call_1", content: '{"temp": 21}' },
    ]);
    expect(chat?.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(chat?.[1]?.parts).toEqual([
      { kind: "text", text: "Weather?" },
      { kind: "binary", mediaType: "image/png", size: "2.9 KB", url: null },
    ]);
    expect(chat?.[2]?.parts).toEqual([{ kind: "tool_call", id: "call_1", name: "weather", arguments: { city: "Paris" } }]);
    expect(chat?.[3]?.parts).toEqual([{ kind: "tool_result", id: "call_1", content: { temp: 21 }, isError: false }]);
  });

  it("reads an OpenAI response and one choice", () => {
    const response = { id: "x", choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }] };
    expect(toChat(response)).toEqual([{ role: "assistant", name: null, parts: [{ kind: "text", text: "Hi" }], finishReason: "stop" }]);
    expect(toChat({ role: "assistant", content: "Hi" })?.[0]?.parts).toEqual([{ kind: "text", text: "Hi" }]);
  });

  it("reads Anthropic requests, content blocks and responses", () => {
    const request = {
      system: "You are terse.",
      messages: [
        { role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/jpeg", data: PNG } }, { type: "text", text: "What is it?" }] },
        { role: "assistant", content: [{ type: "thinking", thinking: "Hmm" }, { type: "tool_use", id: "tu_1", name: "lookup", input: { q: "cat" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "tu_1", content: [{ type: "text", text: "a cat" }], is_error: true }] },
      ],
    };
    const chat = toChat(request);
    expect(chat?.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(chat?.[0]?.parts).toEqual([{ kind: "text", text: "You are terse." }]);
    expect(chat?.[1]?.parts[0]).toEqual({ kind: "binary", mediaType: "image/jpeg", size: "2.9 KB", url: null });
    expect(chat?.[2]?.parts).toEqual([
      { kind: "reasoning", text: "Hmm" },
      { kind: "tool_call", id: "tu_1", name: "lookup", arguments: { q: "cat" } },
    ]);
    expect(chat?.[3]?.parts).toEqual([{ kind: "tool_result", id: "tu_1", content: "a cat", isError: true }]);
    const response = { type: "message", role: "assistant", content: [{ type: "text", text: "A cat." }], stop_reason: "end_turn" };
    expect(toChat(response)).toEqual([{ role: "assistant", name: null, parts: [{ kind: "text", text: "A cat." }], finishReason: "end_turn" }]);
  });

  it("reads OpenTelemetry GenAI messages with system instructions, as the ingest stores them", () => {
    const input = {
      system_instructions: [{ type: "text", content: "Answer in French." }],
      messages: [
        { role: "user", parts: [{ type: "text", content: "Météo ?" }] },
        { role: "assistant", parts: [{ type: "tool_call", id: "c1", name: "weather", arguments: { city: "Lyon" } }] },
        { role: "tool", parts: [{ type: "tool_call_response", id: "c1", response: "sunny" }] },
      ],
    };
    const chat = toChat(input);
    expect(chat?.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(chat?.[0]?.parts).toEqual([{ kind: "text", text: "Answer in French." }]);
    expect(chat?.[1]?.parts).toEqual([{ kind: "text", text: "Météo ?" }]);
    expect(chat?.[2]?.parts[0]).toMatchObject({ kind: "tool_call", name: "weather", arguments: { city: "Lyon" } });
    expect(chat?.[3]?.parts).toEqual([{ kind: "tool_result", id: "c1", content: "sunny", isError: false }]);
    const output = [{ role: "assistant", parts: [{ type: "text", content: "Il fait beau." }], finish_reason: "stop" }];
    expect(toChat(output)?.[0]).toMatchObject({ role: "assistant", finishReason: "stop" });
  });

  it("reads LangChain messages", () => {
    const chat = toChat({ messages: [{ type: "human", content: "hi" }, { type: "ai", content: "hello" }] });
    expect(chat?.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("leaves other JSON to the JSON view", () => {
    expect(toChat({ question: "what?" })).toBeNull();
    expect(toChat([{ role: "user", content: "a" }, { not: "a message" }])).toBeNull();
    expect(toChat([])).toBeNull();
    expect(toChat(42)).toBeNull();
    expect(toChat(null)).toBeNull();
  });
});

describe("binary", () => {
  it("recognises data URLs and long base64, not prose", () => {
    expect(binaryInfo(`data:image/png;base64,${PNG}`)).toEqual({ mediaType: "image/png", bytes: 3008 });
    expect(binaryInfo(PNG)).toEqual({ mediaType: null, bytes: 3008 });
    expect(binaryInfo("word ".repeat(1000))).toBeNull();
    expect(binaryInfo("short")).toBeNull();
  });

  it("replaces inline binary in JSON with a placeholder", () => {
    expect(withoutBinary({ a: [PNG], b: "text", c: 1 })).toEqual({ a: ["[binary data not shown, 2.9 KB]"], b: "text", c: 1 });
  });

  it("shows the placeholder of a document parsed in the worker as an image, not as text", () => {
    const parsed = withoutBinary([{ role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] }]);
    expect(toChat(parsed)?.[0]?.parts).toEqual([{ kind: "binary", mediaType: "image/png", size: "2.9 KB", url: null }]);
  });
});
