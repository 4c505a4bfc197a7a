export { TrustEvaluator } from './evaluator.js';
