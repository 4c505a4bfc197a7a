import Fs from './fs.js';
import Repo from './repo.js';
import Version from './version.js';

/** oclif's explicit command strategy: commands are listed, not discovered on disk. */
export const COMMANDS = { repo: Repo, fs: Fs, version: Version };
