import Completion from './completion.js';
import Fs from './fs.js';
import Images from './images.js';
import Layout from './layout.js';
import ReportConvert from './report/convert.js';
import ReportDiff from './report/diff.js';
import ReportMerge from './report/merge.js';
import Repo from './repo.js';
import Schema from './schema.js';
import Tree from './tree.js';
import Verify from './verify.js';
import Version from './version.js';

/** oclif's explicit command strategy: commands are listed, not discovered on disk. */
export const COMMANDS = {
  repo: Repo,
  fs: Fs,
  images: Images,
  layout: Layout,
  'report:convert': ReportConvert,
  'report:diff': ReportDiff,
  'report:merge': ReportMerge,
  schema: Schema,
  version: Version,
  completion: Completion,
  verify: Verify,
  tree: Tree,
};
