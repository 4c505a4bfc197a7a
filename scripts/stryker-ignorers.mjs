// @ts-check
/**
 * Stryker ignorer plugins (issue #18): two kinds of mutant that the test run cannot judge, or that are not
 * checks. Each is still listed in the report, as `Ignored` with the reason below, and counted there; neither
 * is tested or scored. reports/mutation-log.md ("Ignored on purpose") has the counts per file.
 *
 * - `module-level`: code outside any function, run once when its module is first imported (tables of OIDs,
 *   algorithm names, media types, regular expressions). Stryker records a mutant's coverage while the code
 *   runs, so the tests it lists for a table entry are the ones that happened to import the module, not the
 *   ones that read the entry; and under runtime activation the mutant takes effect only when that import
 *   happens inside a test (a lazily loaded detector), never when a test file imports the module at its top.
 *   Its status therefore follows import order, not the tests. Each such survivor also reran every "covering"
 *   test for nothing: 8-37 s a mutant in the trust part's log (reports/mutation-log.md). `ignoreStatic` already
 *   leaves out the purely static ones; this extends the rule to the ones that a lazy import makes look
 *   covered. The tables are checked through the functions that read them.
 * - `report-text`: an argument bound to a parameter that only words a message (`message`, `what`, `why`
 *   and, for the library's `Error`, `message`), or the value of a `message:` property. Blanking the words of
 *   "signature valid but signer X does not chain to a supplied trust root" changes what a person reads, not a
 *   verdict, code or exit status, so no test of a check can fail on it. The verdict code beside it stays
 *   mutated. A parameter counts as text only if the function never reads it in a condition (checked below);
 *   a function that branches on its message keeps its mutants.
 *
 * Both work from source positions, so the instrumenter (Babel) and the analysis here (TypeScript) must agree on
 * them: a node is ignored when its start and end offsets in the original file equal the TypeScript node's.
 */
import { resolve } from 'node:path';
import process from 'node:process';

import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';
import ts from 'typescript';

export const MODULE_LEVEL_REASON =
  'module-level: runs once at import, so Stryker lists the tests that imported it, not the ones that read it, ' +
  'and a runtime-activated mutant is active only if the import happens inside a test (reports/mutation-log.md)';
export const REPORT_TEXT_REASON =
  'report text: an argument bound to a message-only parameter, or a `message` property; it words a message and ' +
  'decides no verdict, code or exit status (reports/mutation-log.md)';

/** Parameter names whose argument only words a message, for functions that never branch on it. */
export const TEXT_PARAMETERS = new Set(['message', 'what', 'why']);
/** Property names whose value is a message (the result model's `message`). */
export const TEXT_PROPERTIES = new Set(['message']);

/**
 * @param {any} node a Babel node
 * @returns {boolean} whether a function (whose body runs later, when called) is inside it
 */
function containsFunction(node) {
  if (!node || typeof node.type !== 'string') return false;
  if (/Function|Method/.test(node.type)) return true;
  for (const key of Object.keys(node)) {
    if (key === 'loc' || key.endsWith('Comments')) continue;
    const value = node[key];
    if (Array.isArray(value)) {
      if (value.some(containsFunction)) return true;
    } else if (value && typeof value === 'object' && containsFunction(value)) return true;
  }
  return false;
}

/** @type {import('@stryker-mutator/api/ignore').Ignorer} */
export const moduleLevelIgnorer = {
  shouldIgnore(/** @type {any} */ path) {
    if (path.getFunctionParent()) return undefined;
    // Class bodies hold instance field initialisers, which run per construction, not at import.
    if (path.findParent((/** @type {any} */ p) => p.isClassBody())) return undefined;
    if (!path.isExpression()) return undefined;
    // The whole subtree is ignored with the node: one that holds a function would take the function's body
    // (run later, by a test) with it. Its parts without functions are ignored one by one as they are visited.
    if (containsFunction(path.node)) return undefined;
    return MODULE_LEVEL_REASON;
  },
};

/**
 * The source ranges ("start:end") of report text in each file, by the rules in the header.
 * @param {readonly string[]} fileNames absolute paths of the files to be mutated
 * @param {string} tsconfigFile
 * @returns {Map<string, Set<string>>}
 */
export function reportTextRanges(fileNames, tsconfigFile) {
  const config = ts.getParsedCommandLineOfConfigFile(tsconfigFile, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic(diagnostic) {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  });
  if (!config) throw new Error(`cannot read ${tsconfigFile}`);
  const program = ts.createProgram({ rootNames: fileNames, options: config.options });
  const checker = program.getTypeChecker();
  /** @type {Map<ts.Symbol, boolean>} */
  const textOnly = new Map();

  /** @param {ts.Symbol} parameter */
  function isTextParameter(parameter) {
    if (!TEXT_PARAMETERS.has(parameter.name)) return false;
    const cached = textOnly.get(parameter);
    if (cached !== undefined) return cached;
    const declaration = parameter.valueDeclaration;
    let ok = true;
    if (declaration && ts.isParameter(declaration) && !declaration.getSourceFile().isDeclarationFile) {
      const body = declaration.parent;
      /** @param {ts.Node} node */
      const visit = (node) => {
        if (!ok) return;
        if (ts.isIdentifier(node) && node !== declaration.name && checker.getSymbolAtLocation(node) === parameter) {
          if (readInCondition(node)) ok = false;
        }
        ts.forEachChild(node, visit);
      };
      ts.forEachChild(body, visit);
    }
    textOnly.set(parameter, ok);
    return ok;
  }

  /** @type {Map<string, Set<string>>} */
  const ranges = new Map();
  for (const fileName of fileNames) {
    const sf = program.getSourceFile(fileName);
    if (!sf) throw new Error(`${fileName} is not in the program of ${tsconfigFile}`);
    /** @type {Set<string>} */
    const set = new Set();
    /** @param {ts.Expression} expression */
    const add = (expression) => {
      const inner = ts.skipPartiallyEmittedExpressions(ts.skipParentheses(expression));
      if (isTextExpression(inner)) set.add(`${inner.getStart(sf)}:${inner.getEnd()}`);
    };
    /** @param {ts.Node} node */
    const visit = (node) => {
      if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && node.arguments && node.arguments.length > 0) {
        const parameters = checker.getResolvedSignature(node)?.getParameters() ?? [];
        node.arguments.forEach((argument, i) => {
          const parameter = parameters[i];
          if (parameter && isTextParameter(parameter)) add(argument);
        });
      } else if (ts.isPropertyAssignment(node) && ts.isIdentifier(node.name) && TEXT_PROPERTIES.has(node.name.text)) {
        add(node.initializer);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    ranges.set(resolve(fileName), set);
  }
  return ranges;
}

/**
 * Only literal text and text built from it counts: a variable or call passed as the message is left alone,
 * since it may be computed by code that matters elsewhere.
 * @param {ts.Expression} node
 */
function isTextExpression(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateExpression(node)) return true;
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    return isTextExpression(node.left) || isTextExpression(node.right);
  }
  if (ts.isConditionalExpression(node)) return isTextExpression(node.whenTrue) && isTextExpression(node.whenFalse);
  return false;
}

/**
 * Whether this read of a parameter can steer control flow: a condition, a comparison, a logical operand, a
 * switch, or a string test such as `startsWith`.
 * @param {ts.Identifier} id
 */
function readInCondition(id) {
  /** @type {ts.Node} */
  let node = id;
  while (ts.isParenthesizedExpression(node.parent) || ts.isNonNullExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if (ts.isIfStatement(parent) || ts.isWhileStatement(parent) || ts.isDoStatement(parent)) return true;
  if (ts.isConditionalExpression(parent) && parent.condition === node) return true;
  if (ts.isSwitchStatement(parent) || ts.isCaseClause(parent)) return true;
  if (ts.isPrefixUnaryExpression(parent) && parent.operator === ts.SyntaxKind.ExclamationToken) return true;
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind !== ts.SyntaxKind.PlusToken) return true;
  // `message.startsWith(…)`, `message.length`: anything read off it, other than building more text.
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node) return true;
  if (ts.isElementAccessExpression(parent)) return true;
  return false;
}

/** @type {Map<string, Set<string>> | undefined} */
let cachedRanges;

/**
 * @param {string} fileName
 * @returns {Set<string> | undefined}
 */
function rangesOf(fileName) {
  if (!cachedRanges) {
    // The instrumenter hands files over one at a time and this plugin has no other view of the run's file
    // list, so the first call analyses the whole program once, for every file the tsconfig includes.
    const tsconfig = resolve(process.cwd(), 'tsconfig.json');
    const config = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic() {} });
    const files = (config?.fileNames ?? []).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    cachedRanges = reportTextRanges(files, tsconfig);
  }
  return cachedRanges.get(resolve(fileName));
}

/**
 * @param {(fileName: string) => Set<string> | undefined} rangesOfFile the report-text ranges of a file
 * @returns {import('@stryker-mutator/api/ignore').Ignorer}
 */
export function reportTextIgnorerFor(rangesOfFile) {
  return {
    shouldIgnore(/** @type {any} */ path) {
      const node = path.node;
      if (typeof node?.start !== 'number' || typeof node?.end !== 'number') return undefined;
      if (!/Literal|BinaryExpression|ConditionalExpression/.test(node.type)) return undefined;
      const fileName = path.hub?.file?.opts?.filename;
      if (typeof fileName !== 'string') return undefined;
      return rangesOfFile(resolve(fileName))?.has(`${node.start}:${node.end}`) ? REPORT_TEXT_REASON : undefined;
    },
  };
}

export const reportTextIgnorer = reportTextIgnorerFor(rangesOf);

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, 'module-level', moduleLevelIgnorer),
  declareValuePlugin(PluginKind.Ignore, 'report-text', reportTextIgnorer),
];
