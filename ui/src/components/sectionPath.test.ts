import { describe, expect, it } from "vitest";
import { sectionPath } from "./sectionPath";

describe("sectionPath", () => {
  it("keeps a list page", () => {
    for (const path of ["/traces", "/sessions", "/users", "/live", "/costs", "/settings"]) {
      expect(sectionPath(path)).toBe(path);
    }
  });
  it("turns a page about one item of the old project into its section's list", () => {
    expect(sectionPath("/traces/4bf92f3577b34da6a3ce929d0e0e4736")).toBe("/traces");
    expect(sectionPath("/sessions/chat-1")).toBe("/sessions");
    expect(sectionPath("/users/alice%40example.com")).toBe("/users");
    expect(sectionPath("/compare")).toBe("/traces");
    expect(sectionPath("/datasets/qa")).toBe("/datasets");
  });
  it("keeps a settings tab and the account page", () => {
    expect(sectionPath("/settings/prices")).toBe("/settings/prices");
    expect(sectionPath("/account/password")).toBe("/account/password");
  });
  it("does not take a prefix for a section", () => {
    expect(sectionPath("/tracesx")).toBe("/traces");
    expect(sectionPath("/")).toBe("/traces");
  });
});
