import { Args, Command, Flags } from '@oclif/core';

import { registryAccess, registryFlags } from './registry-flags.js';
import { runScanCommand } from './scan-command.js';
import { EXIT_CODES_HELP, outputFlags, shardFlag } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

export default class Repo extends Command {
  static override summary = 'Scan a container registry, a namespace in it, or one image for signatures.';
  static override description = `Finds cosign and Notary Project signatures on every tag (and on every platform
manifest of multi-arch indexes) and reports who signed what. Signature tags (sha256-<hex>.sig and
referrer fallback tags) are used for discovery and not reported as images.

Credentials: -u/-p, --password-stdin, SIGSCAN_USERNAME/SIGSCAN_PASSWORD, or Docker's config.json
(auths, credsStore, credHelpers). TLS is verified unless --insecure is given.

${EXIT_CODES_HELP}`;

  static override examples = [
    {
      description: 'Scan every repository of a registry',
      command: '<%= config.bin %> repo registry.example.com',
    },
    {
      description: 'Scan one namespace, as JSON',
      command: '<%= config.bin %> repo registry.example.com/team -o json',
    },
    {
      description: 'Scan one image by tag',
      command: '<%= config.bin %> repo registry.example.com/team/app:1.2',
    },
    {
      description: 'A local plain-HTTP registry, only release tags, credentials from stdin',
      command:
        'echo "$PASS" | <%= config.bin %> repo 127.0.0.1:5000 --plain-http --tags "v*" -u ci --password-stdin',
    },
    {
      description: 'A registry without _catalog: only the repositories listed in a file',
      command:
        '<%= config.bin %> repo 123456789012.dkr.ecr.eu-west-1.amazonaws.com --repos-from-file repos.txt',
    },
    {
      description: 'Every container package of a GitHub organisation',
      command: 'echo "$GITHUB_TOKEN" | <%= config.bin %> repo ghcr.io --org my-org -u me --password-stdin',
    },
    {
      description: 'SARIF for GitHub code scanning',
      command: '<%= config.bin %> repo ghcr.example/org -o sarif --output-file sigscan.sarif',
    },
    {
      description: 'Fail a CI job when anything is unsigned',
      command: '<%= config.bin %> repo ghcr.example/org --fail-on unsigned,invalid',
    },
  ];

  static override usage = 'repo [FLAGS] REGISTRY';
  static override args = {
    registry: Args.string({
      required: true,
      description: 'host[:port], host/namespace, host/name:tag or host/name@sha256:<hex>',
    }),
  };

  static override flags = grouped({
    ...outputFlags,
    ...trustFlags,
    ...pluginFlags,
    ...shardFlag,
    ...registryFlags,
    repos: Flags.string({
      summary: 'Only repositories matching these globs.',
      multiple: true,
      delimiter: ',',
    }),
    tags: Flags.string({ summary: 'Only tags matching these globs.', multiple: true, delimiter: ',' }),
    untagged: Flags.boolean({
      summary: 'Report signed digests that no tag points at, and orphan signatures (--no-untagged: off).',
      description:
        'A sha256-<hex>.sig, .att or referrer tag whose digest no scanned tag resolves to is a target with tag null and ' +
        '"untagged": true; one whose subject manifest is gone is listed under scan.orphans. Off with --tags.',
      default: true,
      allowNo: true,
    }),
    'repos-from-file': Flags.string({
      summary: 'Scan the repositories listed in this file (one per line, # comments) instead of _catalog.',
      description: 'For registries without a usable catalog (ECR, GAR, Docker Hub, GHCR, ...).',
      exclusive: ['org'],
    }),
    org: Flags.string({
      summary: 'List the repositories of this Docker Hub namespace or GitHub organisation/user.',
      description: `Instead of _catalog: on docker.io the Docker Hub API (a Hub login with -u/-p), on ghcr.io the
GitHub packages API (the password is a token with read:packages). SIGSCAN_DOCKERHUB_API and
SIGSCAN_GITHUB_API override the API base URLs.`,
      exclusive: ['repos-from-file'],
    }),
  });

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Repo);
    const { runRepoScan } = await import('../scan/run.js');
    await runScanCommand(this, 'repo', flags, async (common) =>
      runRepoScan({
        ...common,
        target: args.registry,
        repos: flags.repos,
        tags: flags.tags,
        untagged: flags.untagged,
        reposFromFile: flags['repos-from-file'],
        org: flags.org,
        ...(await registryAccess(flags)),
      }),
    );
  }
}
