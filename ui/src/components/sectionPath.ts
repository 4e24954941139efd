// Where the project switcher goes: the same section of the newly chosen project. A list page
// stays itself; a page about one trace, session or user (which belongs to the project being left)
// becomes its section's list; anything else opens the traces.
const SECTIONS = ["/traces", "/sessions", "/users", "/live", "/costs", "/settings", "/datasets"];

export function sectionPath(pathname: string): string {
  if (pathname === "/settings" || pathname.startsWith("/settings/")) return pathname; // a tab: every project has it
  if (pathname === "/account/password") return pathname; // not about a project
  const section = SECTIONS.find((path) => pathname === path || pathname.startsWith(`${path}/`));
  return section ?? "/traces"; // `/compare` compares two of the old project's traces
}
