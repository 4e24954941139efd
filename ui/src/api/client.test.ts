import { describe, expect, it } from "vitest";
import { safeNext } from "../auth/next";
import { parseRetryAfter, readCookie } from "./client";

describe("readCookie", () => {
  it("finds the CSRF cookie among others and decodes it", () => {
    expect(readCookie("theodolite_csrf", "a=1; theodolite_csrf=abc%3D%3D; b=2")).toBe("abc==");
    expect(readCookie("theodolite_csrf", "theodolite_csrf_old=x")).toBeNull();
    expect(readCookie("theodolite_csrf", "")).toBeNull();
  });
});

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("42")).toBe(42);
    expect(parseRetryAfter("1.2")).toBe(2);
    const now = Date.parse("2026-11-30T12:00:00Z");
    expect(parseRetryAfter("Mon, 30 Nov 2026 12:01:00 GMT", now)).toBe(60);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("safeNext", () => {
  it("keeps same-site paths and refuses other sites", () => {
    expect(safeNext("/traces?model=gpt-4o")).toBe("/traces?model=gpt-4o");
    expect(safeNext("//evil.example/x")).toBe("/traces");
    expect(safeNext("/\\evil.example")).toBe("/traces");
    expect(safeNext("https://evil.example")).toBe("/traces");
    expect(safeNext(null)).toBe("/traces");
  });
});
