// The project is part of every view: for a user with several, the page's URL names it (last, after
// the page's own parameters), so a shared link opens the same project. A link naming another
// project the user can read switches to it; one naming a project they cannot read is corrected.
import { useEffect } from "react";
import { useSearchParams } from "react-router";
import { useAuth } from "./auth";

/** `?project=<name>` for links to a view, or "" when the user has one project. */
export function useProjectQuery(): string {
  const { me, project } = useAuth();
  return (me?.projects.length ?? 0) > 1 && project !== null ? `?project=${encodeURIComponent(project)}` : "";
}

export function useProjectInUrl(): void {
  const { me, project, setProject } = useAuth();
  const [searchParams, setSearchParams] = useSearchParams();
  const urlProject = searchParams.get("project");
  const severalProjects = (me?.projects.length ?? 0) > 1;
  useEffect(() => {
    if (!severalProjects || project === null || urlProject === project) return;
    if (urlProject !== null && me?.projects.some((p) => p.name === urlProject)) {
      setProject(urlProject);
      return;
    }
    const next = new URLSearchParams(searchParams);
    next.delete("project");
    next.set("project", project);
    setSearchParams(next, { replace: true });
  }, [severalProjects, project, urlProject, me, setProject, searchParams, setSearchParams]);
}
