// Who is signed in, which project the UI shows, sign-in and sign-out. The session lives in an
// HttpOnly cookie the server sets; the UI only learns who it belongs to from /auth/me.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { ApiError, apiRequest, setApiProject, setUnauthorizedHandler } from "../api/client";
import type { AuthInfo } from "../api/types";

const PROJECT_STORAGE_KEY = "theodolite.project";
export const ME_QUERY_KEY = ["auth", "me"] as const;

interface AuthContextValue {
  /** undefined while the first /auth/me is in flight; null when signed out. */
  me: AuthInfo | null | undefined;
  /** Set when /auth/me failed for another reason than "not signed in". */
  error: ApiError | null;
  project: string | null;
  /** True after the user signed out here (not when the session ended by itself): no ?next= then. */
  signedOutOnPurpose: boolean;
  setProject: (name: string) => void;
  signIn: (login: string, password: string) => Promise<AuthInfo>;
  signOut: () => Promise<void>;
  changePassword: (currentPassword: string, newPassword: string) => Promise<void>;
}

const AuthContext = createContext<AuthContextValue | null>(null);

async function fetchMe(): Promise<AuthInfo | null> {
  try {
    return await apiRequest<AuthInfo>("/api/v1/auth/me", { expectUnauthorized: true });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

function storedProject(): string | null {
  try {
    return window.localStorage.getItem(PROJECT_STORAGE_KEY);
  } catch {
    return null; // storage disabled: the project is kept for this page only
  }
}

/** The project to show: the one asked for, else the last one used, else the user's first. */
export function chooseProject(me: AuthInfo | null | undefined, wanted: string | null): string | null {
  if (!me || me.projects.length === 0) return null;
  const names = me.projects.map((p) => p.name);
  if (wanted !== null && names.includes(wanted)) return wanted;
  return names[0] ?? null;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const meQuery = useQuery({ queryKey: ME_QUERY_KEY, queryFn: fetchMe, retry: false, staleTime: 60_000 });
  const me = meQuery.isPending ? undefined : (meQuery.data ?? null);
  const [wanted, setWanted] = useState<string | null>(() => {
    const fromUrl = new URLSearchParams(window.location.search).get("project");
    return fromUrl ?? storedProject();
  });
  const project = chooseProject(me, wanted);
  const [signedOutOnPurpose, setSignedOutOnPurpose] = useState(false);
  // Set synchronously during render so the first query of a page already carries the header.
  setApiProject(project);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      queryClient.setQueryData(ME_QUERY_KEY, null);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_QUERY_KEY[0] });
    });
    return () => setUnauthorizedHandler(null);
  }, [queryClient]);

  const setProject = useCallback(
    (name: string) => {
      setWanted(name);
      try {
        window.localStorage.setItem(PROJECT_STORAGE_KEY, name);
      } catch {
        // storage disabled: nothing to remember
      }
    },
    [],
  );

  const signIn = useCallback(
    async (login: string, password: string) => {
      const info = await apiRequest<AuthInfo>("/api/v1/auth/login", {
        method: "POST",
        body: { login, password },
        expectUnauthorized: true,
      });
      setSignedOutOnPurpose(false);
      queryClient.setQueryData(ME_QUERY_KEY, info);
      return info;
    },
    [queryClient],
  );

  const signOut = useCallback(async () => {
    try {
      await apiRequest<void>("/api/v1/auth/logout", { method: "POST", expectUnauthorized: true });
    } catch (error) {
      // 401: the session had already ended, which is what was asked. Anything else (the server
      // is unreachable): the session may still be valid, so do not pretend it ended.
      if (!(error instanceof ApiError && error.status === 401)) throw error;
    }
    // In one render with the "signed out" state, so the redirect to /login carries no ?next=.
    setSignedOutOnPurpose(true);
    queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== ME_QUERY_KEY[0] });
    queryClient.setQueryData(ME_QUERY_KEY, null);
  }, [queryClient]);

  const changePassword = useCallback(
    async (currentPassword: string, newPassword: string) => {
      await apiRequest<void>("/api/v1/auth/password", {
        method: "POST",
        body: { current_password: currentPassword, new_password: newPassword },
        expectUnauthorized: true, // 401 here means a wrong current password, not a lost session
      });
      await queryClient.invalidateQueries({ queryKey: ME_QUERY_KEY });
    },
    [queryClient],
  );

  const error = meQuery.error instanceof ApiError ? meQuery.error : null;
  const value = useMemo(
    () => ({ me, error, project, signedOutOnPurpose, setProject, signIn, signOut, changePassword }),
    [me, error, project, signedOutOnPurpose, setProject, signIn, signOut, changePassword],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (value === null) throw new Error("useAuth outside AuthProvider");
  return value;
}
