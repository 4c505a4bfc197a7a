export { runRepoScan, runFsScan, type RepoScanPlan, type FsScanPlan } from './run.js';
export { exitCodeFor, ExitCode, FAIL_ON_CONDITIONS, type FailOnCondition } from './exit-code.js';
export { summarize, sortResults, type ScanReport, type ScanSummary } from './report-model.js';
export { runScan, detectTarget, type ScanJob, type PreparedTarget, type EngineOptions } from './engine.js';
