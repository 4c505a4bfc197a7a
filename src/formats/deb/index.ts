export { analyzeDeb, looksLikeDeb, readAr } from './deb.js';
export type { ArMember, DebAnalysis, DebSignature } from './deb.js';
