// Shapes and calls of the settings page: keys and members (theodolite/server/routes/members.py),
// price overrides (prices.py) and, for admins, users (admin_users.py).
import { apiRequest } from "../api/client";

export interface ApiKey {
  public_key: string;
  /** The secret's first and last characters: the secret itself is never stored. */
  display_secret: string;
  note: string | null;
  created_at: string;
  revoked_at: string | null;
}

export interface NewKey {
  public_key: string;
  /** In this answer only. */
  secret_key: string;
}

export interface Member {
  id: number;
  email: string;
  name: string;
  role: Role;
}

export const ROLES = ["owner", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Rates are decimals as text (USD per million tokens), exactly as the server keeps them. */
export interface PriceOverride {
  model: string;
  provider: string | null;
  effective_from: string;
  input_mtok: string | null;
  output_mtok: string | null;
  cache_read_mtok: string | null;
  cache_write_mtok: string | null;
  output_reasoning_mtok: string | null;
  note: string | null;
  created_at: string | null;
}

export type PriceInput = Omit<PriceOverride, "created_at">;

export interface TieredRate {
  base: string;
  tiers: { above_input_tokens: number; price: string }[];
}

export interface PriceLookup {
  model: string;
  provider: string | null;
  at: string;
  source: string;
  rates: Record<string, string | TieredRate>;
}

export interface Account {
  id: number;
  email: string;
  name: string;
  is_admin: boolean;
  must_change_password: boolean;
  created_at: string;
  projects: { name: string; role: string }[];
}

const enc = encodeURIComponent;

export const settingsApi = {
  keys: () => apiRequest<{ data: ApiKey[] }>("/api/v1/keys").then((r) => r.data),
  createKey: (note: string | null) => apiRequest<NewKey>("/api/v1/keys", { method: "POST", body: { note } }),
  revokeKey: (publicKey: string) => apiRequest<void>(`/api/v1/keys/${enc(publicKey)}`, { method: "DELETE" }),

  members: () => apiRequest<{ data: Member[] }>("/api/v1/members").then((r) => r.data),
  setRole: (login: string, role: Role) =>
    apiRequest<Member>(`/api/v1/members/${enc(login)}`, { method: "PUT", body: { role } }),
  removeMember: (login: string) => apiRequest<void>(`/api/v1/members/${enc(login)}`, { method: "DELETE" }),

  prices: () => apiRequest<{ data: PriceOverride[] }>("/api/v1/prices").then((r) => r.data),
  setPrice: (price: PriceInput) => apiRequest<PriceOverride>("/api/v1/prices", { method: "PUT", body: price }),
  removePrice: (price: Pick<PriceOverride, "model" | "provider" | "effective_from">) => {
    const params = new URLSearchParams({ model: price.model, effective_from: price.effective_from });
    if (price.provider) params.set("provider", price.provider);
    return apiRequest<void>(`/api/v1/prices?${params}`, { method: "DELETE" });
  },
  lookup: (model: string, provider: string | null, at: string | null) => {
    const params = new URLSearchParams({ model });
    if (provider) params.set("provider", provider);
    if (at) params.set("at", at);
    return apiRequest<PriceLookup>(`/api/v1/prices/lookup?${params}`);
  },

  users: () => apiRequest<{ data: Account[] }>("/api/v1/admin/users").then((r) => r.data),
  createUser: (body: { email: string; name: string | null; is_admin: boolean }) =>
    apiRequest<{ user: Account; password: string | null }>("/api/v1/admin/users", { method: "POST", body }),
  resetPassword: (login: string) =>
    apiRequest<{ password: string }>(`/api/v1/admin/users/${enc(login)}/password`, { method: "POST" }),
  setAdmin: (login: string, isAdmin: boolean) =>
    apiRequest<Account>(`/api/v1/admin/users/${enc(login)}`, { method: "PATCH", body: { is_admin: isAdmin } }),
  deleteUser: (login: string) => apiRequest<void>(`/api/v1/admin/users/${enc(login)}`, { method: "DELETE" }),
};
