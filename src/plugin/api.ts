/**
 * The plugin contract (`sigscan/plugin`): what a module must export to add a signature family.
 *
 * Versioned on its own (PLUGIN_API_VERSION, semver): a plugin declares the version it was written for,
 * and sigscan loads it when the major versions agree and the plugin's minor is not newer than ours.
 * Built-in families that live outside the core (ir-sign) are written against this same contract.
 */
import type { DetectContext } from '../detectors/detector.js';
import type { Evidence, Target, Verdict } from '../model/index.js';
import type { TrustConfig } from '../trust/config.js';

export const PLUGIN_API_VERSION = '1.0.0';

/** What a plugin module exports, as its default export or as `plugin`. */
export interface SigscanPlugin {
  /** The contract version it was written for, e.g. "1.0.0". */
  pluginApiVersion: string;
  /** Shown in reports; defaults to the package name or the file name. */
  name?: string;
  version?: string;
  families: PluginFamily[];
}

export interface PluginFamily {
  /** `x-<name>` for third-party families (lowercase letters, digits, dashes). */
  family: string;
  /** Settings it reads from `--plugin-opt <family>.<key>=<value>` (or `plugin-opt:` in --config). */
  options?: Record<string, { description: string; required?: boolean }>;
  /**
   * Detached signature files beside the files they sign, `<file><suffix>` (e.g. `.ed25519.sig`): an fs
   * scan makes the signed file a target (format `blob`) and hands the sidecar to this family only.
   */
  sidecarSuffixes?: string[];
  /** Finds evidence; the same context the built-in detectors get (OCI store, discovery, file input). */
  detector: PluginDetector;
  /** Evidence and the user's trust inputs in, a verdict out. Must not answer verified if it skipped a check. */
  verify(evidence: Evidence, target: Target, ctx: PluginVerifyContext): Promise<Verdict>;
}

export interface PluginDetector {
  applies(target: Target): boolean;
  detect(target: Target, ctx: PluginDetectContext): AsyncIterable<Evidence>;
}

export interface PluginDetectContext extends DetectContext {
  /** This family's `--plugin-opt` values. */
  options: Readonly<Record<string, string>>;
}

export interface PluginVerifyContext {
  /** `--at`, or the scan's start. */
  now: Date;
  /** This family's `--plugin-opt` values. */
  options: Readonly<Record<string, string>>;
  /** The scan's trust inputs (`--trust-root`, `--tsa-root`, `--key`, ...), read-only. */
  trust: Readonly<TrustConfig>;
}

export type { DetectContext, FileInput, Sidecar } from '../detectors/detector.js';
export type { Evidence, Finding, SignerIdentity, Target, Verdict } from '../model/index.js';
export { invalid, untrusted, unverified, verificationError, verified } from '../trust/verdicts.js';
