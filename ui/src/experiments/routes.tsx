// The experiments pages, loaded on first visit (router.tsx: one lazy route for /experiments/*).
import { Route, Routes } from "react-router";
import { ExperimentComparePage } from "./ExperimentComparePage";
import { ExperimentsPage } from "./ExperimentsPage";

export function Component() {
  return (
    <Routes>
      <Route index element={<ExperimentsPage />} />
      <Route path="compare" element={<ExperimentComparePage />} />
    </Routes>
  );
}
