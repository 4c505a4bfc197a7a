export type { Descriptor, FetchedManifest, OciManifest, OciStore, Platform } from './types.js';
export { MediaType, MANIFEST_ACCEPT, digestTag, isIndexMediaType } from './types.js';
export { StoreDiscovery } from './discovery.js';
export { parseScope, isDigest, apiHost, type ScanScope } from './reference.js';
export { RegistryClient, type RegistryClientOptions } from './registry/client.js';
export { HttpTransport, type TransportOptions } from './registry/transport.js';
export { RequestStats, type RequestStatsSnapshot } from './registry/stats.js';
export { resolveCredential, type Credential, type CredentialOptions } from './registry/credentials.js';
export { OciLayoutStore } from './layout/store.js';
