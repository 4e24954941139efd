/**
 * Where to go after sign-in: only a path on this site. An open redirect through ?next= would let a
 * link to our sign-in page send users to another site once they signed in.
 */
export function safeNext(next: string | null): string {
  if (next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\")) return next;
  return "/traces";
}
