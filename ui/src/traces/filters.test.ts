import { describe, expect, it } from "vitest";
import {
  EMPTY_FILTERS,
  activeFilterCount,
  filtersFromSearch,
  filtersToApiParams,
  filtersToSearch,
  nextSort,
} from "./filters";

describe("URL -> filters", () => {
  it("reads every filter", () => {
    const filters = filtersFromSearch(
      "range=24h&name=chat&user=u1&session=s1&tag=a&tag=b&model=gpt-4o&level=error&release=1.2&environment=prod",
    );
    expect(filters).toEqual({
      ...EMPTY_FILTERS,
      range: "24h",
      name: "chat",
      user: "u1",
      session: "s1",
      tags: ["a", "b"],
      model: "gpt-4o",
      level: "ERROR",
      release: "1.2",
      environment: "prod",
    });
  });
  it("ignores unknown keys and invalid values instead of failing", () => {
    const filters = filtersFromSearch("range=3w&level=LOUD&from=yesterday&foo=bar&name=%20%20&tag=&tag=x&tag=x");
    expect(filters).toEqual({ ...EMPTY_FILTERS, tags: ["x"] });
  });
  it("lets an absolute range win over a relative one", () => {
    const filters = filtersFromSearch("range=24h&from=2026-11-01T00:00:00Z");
    expect(filters.range).toBeNull();
    expect(filters.from).toBe("2026-11-01T00:00:00Z");
  });
});

describe("filters -> URL", () => {
  it("round-trips", () => {
    const search = "range=7d&name=chat+turn&user=u%26x&model=gpt-4o&tag=a&tag=b+c&level=ERROR";
    const filters = filtersFromSearch(search);
    expect(filtersFromSearch(filtersToSearch(filters))).toEqual(filters);
    expect(filtersToSearch(filters).toString()).toBe(search);
  });
  it("writes nothing for no filter", () => {
    expect(filtersToSearch(EMPTY_FILTERS).toString()).toBe("");
    expect(activeFilterCount(EMPTY_FILTERS)).toBe(0);
  });
  it("writes a canonical order whatever the URL's", () => {
    const a = filtersToSearch(filtersFromSearch("level=ERROR&model=m")).toString();
    const b = filtersToSearch(filtersFromSearch("model=m&level=ERROR")).toString();
    expect(a).toBe(b);
    expect(a).toBe("model=m&level=ERROR");
  });
});

describe("filters -> API", () => {
  it("names the API's parameters and resolves a relative range against now", () => {
    const now = Date.parse("2026-11-30T12:00:00Z");
    const params = filtersToApiParams(filtersFromSearch("range=1h&user=u1&session=s1&tag=a&tag=b&level=WARNING"), now);
    expect(params.get("from")).toBe("2026-11-30T11:00:00.000Z");
    expect(params.get("to")).toBeNull();
    expect(params.get("user_id")).toBe("u1");
    expect(params.get("session_id")).toBe("s1");
    expect(params.getAll("tags")).toEqual(["a", "b"]);
    expect(params.get("level")).toBe("WARNING");
  });
  it("passes an absolute range as UTC ISO", () => {
    const params = filtersToApiParams(filtersFromSearch("from=2026-11-01T00:00:00%2B01:00&to=2026-11-02T00:00:00Z"), 0);
    expect(params.get("from")).toBe("2026-10-31T23:00:00.000Z");
    expect(params.get("to")).toBe("2026-11-02T00:00:00.000Z");
  });
});

describe("search", () => {
  it("goes to the URL as `search` and to the API as `search`, any script", () => {
    const filters = filtersFromSearch("search=%E3%83%91%E3%82%B9%E3%83%AF%E3%83%BC%E3%83%89&model=m");
    expect(filters.search).toBe("パスワード");
    expect(filtersToSearch(filters).toString()).toBe("model=m&search=%E3%83%91%E3%82%B9%E3%83%AF%E3%83%BC%E3%83%89");
    expect(filtersToApiParams(filters, 0).get("search")).toBe("パスワード");
    expect(activeFilterCount(filters)).toBe(2);
  });
  it("ignores a blank search", () => {
    expect(filtersFromSearch("search=++").search).toBeNull();
    expect(filtersToSearch({ ...EMPTY_FILTERS, search: "  " }).toString()).toBe("");
  });
});

describe("sort and totals filters in the URL", () => {
  it("reads and writes the order and the cost, latency and score filters", () => {
    const search = "cost_min=0.01&cost_max=2&latency_min=1.5&score=helpfulness%3E%3D0.8&sort=cost&order=asc";
    const filters = filtersFromSearch(search);
    expect(filters).toMatchObject({
      sort: "cost", order: "asc", costMin: "0.01", costMax: "2", latencyMin: "1.5", score: "helpfulness>=0.8",
    });
    expect(filtersToSearch(filters).toString()).toBe(search);
    expect(filtersToApiParams(filters, 0).toString()).toBe(search);
    expect(activeFilterCount(filters)).toBe(4); // the order is not a filter
  });
  it("ignores invalid values and writes nothing for the default order", () => {
    const filters = filtersFromSearch("sort=colour&order=sideways&cost_min=cheap&latency_max=-1&score=good");
    expect(filters).toEqual(EMPTY_FILTERS);
    expect(filtersFromSearch("sort=time&order=desc")).toEqual(EMPTY_FILTERS);
    expect(filtersFromSearch("sort=score:relevance").sort).toBe("score:relevance");
  });
  it("a header click sorts by its column descending, then ascending, then back", () => {
    let filters = { ...EMPTY_FILTERS, ...nextSort(EMPTY_FILTERS, "cost") };
    expect(filtersToSearch(filters).toString()).toBe("sort=cost&order=desc");
    filters = { ...filters, ...nextSort(filters, "cost") };
    expect(filtersToSearch(filters).toString()).toBe("sort=cost&order=asc");
    filters = { ...filters, ...nextSort(filters, "cost") };
    expect(filtersToSearch(filters).toString()).toBe("sort=cost&order=desc");
    filters = { ...filters, ...nextSort(filters, "time") };
    expect(filtersToSearch(filters).toString()).toBe("");
    filters = { ...filters, ...nextSort(filters, "time") };
    expect(filtersToSearch(filters).toString()).toBe("sort=time&order=asc");
  });
});
