export {
  PLUGIN_API_VERSION,
  type PluginDetectContext,
  type PluginDetector,
  type PluginFamily,
  type PluginVerifyContext,
  type SigscanPlugin,
  type DetectContext,
  type Evidence,
  type FileInput,
  type Finding,
  type Sidecar,
  type SignerIdentity,
  type Target,
  type Verdict,
  invalid,
  untrusted,
  unverified,
  verificationError,
  verified,
} from './api.js';
export { loadPlugins, type LoadedPlugin, type LoadedFamily, type PluginLoadOptions } from './load.js';
export { pluginDetectors, pluginVerifiers } from './contain.js';
