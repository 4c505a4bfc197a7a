import { readFile } from 'node:fs/promises';

import { Args, Command, Flags } from '@oclif/core';

import { readStdin, registryAccess, registryFlags } from './registry-flags.js';
import { runScanCommand } from './scan-command.js';
import { EXIT_CODES_HELP, outputFlags, shardFlag } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

export default class Images extends Command {
  static override summary = 'Scan a list of images, such as everything a Kubernetes cluster runs.';
  static override description = `Takes image references as arguments, from a file (--from-file), or from standard
input (-). A file or stdin may hold one reference per line, or the JSON of \`kubectl get pods -A -o json\`
(containers, init containers and ephemeral containers of every pod; also Deployments, StatefulSets,
DaemonSets, Jobs, CronJobs and Lists of them). A pod's running digest (status imageID) is scanned, not
what its tag names now; each target lists the workloads that run it.
References follow Docker's rules: \`nginx\` means docker.io/library/nginx:latest.
Credentials come from Docker's config.json per registry; -u/-p apply to every registry in the list.

${EXIT_CODES_HELP}`;

  static override examples = [
    {
      description: 'Two images',
      command: '<%= config.bin %> images ghcr.io/org/app:1.2 registry.example.com/base@sha256:<hex>',
    },
    {
      description: 'What a cluster runs',
      command: 'kubectl get pods -A -o json | <%= config.bin %> images - -o json',
    },
    {
      description: 'A list in a file, failing on anything unsigned',
      command: '<%= config.bin %> images --from-file images.txt --fail-on unsigned',
    },
  ];

  static override strict = false;
  static override usage = 'images [FLAGS] [IMAGE...|-]';
  static override args = {
    image: Args.string({ required: false, description: 'image references, or - to read them from stdin' }),
  };

  static override flags = grouped({
    ...outputFlags,
    ...trustFlags,
    ...pluginFlags,
    ...shardFlag,
    ...registryFlags,
    'from-file': Flags.string({
      summary: 'Read references (or kubectl JSON) from this file.',
      multiple: true,
    }),
  });

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Images);
    const [{ runImagesScan }, { parseImageEntries }, { SigscanError }] = await Promise.all([
      import('../scan/run.js'),
      import('../sources/image-list.js'),
      import('../errors.js'),
    ]);
    await runScanCommand(this, 'images', flags, async (common) => {
      const entries: import('../sources/image-list.js').ImageEntry[] = [];
      for (const arg of argv as string[]) {
        if (arg === '-') {
          if (flags['password-stdin'])
            throw new SigscanError('USAGE', 'stdin cannot hold both the image list and the password');
          entries.push(...parseImageEntries(await readStdin()));
        } else entries.push({ ref: arg });
      }
      for (const file of flags['from-file'] ?? []) {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (err) {
          throw new SigscanError('USAGE', `cannot read --from-file ${file}: ${(err as Error).message}`);
        }
        entries.push(...parseImageEntries(text));
      }
      const images = entries.map((e) => e.ref);
      const workloads = entries.flatMap((e) => (e.workload ? [{ ref: e.ref, workload: e.workload }] : []));
      if (images.length === 0)
        throw new SigscanError('USAGE', 'no image references given (arguments, - or --from-file)');
      return runImagesScan({ ...common, images, workloads, ...(await registryAccess(flags)) });
    });
  }
}
