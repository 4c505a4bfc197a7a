import { Args, Command } from '@oclif/core';

import { runScanCommand } from './scan-command.js';
import { EXIT_CODES_HELP, outputFlags } from './shared.js';
import { trustFlags } from './trust-flags.js';
import { grouped } from './flag-groups.js';
import { pluginFlags } from './plugin-flags.js';

export default class Layout extends Command {
  static override summary = 'Scan OCI image layouts and image archives on disk.';
  static override description = `Reads an OCI layout directory (skopeo copy oci:, umoci, cosign save), an OCI archive
tarball, or a docker save tarball that holds an OCI layout (Docker 25+), in place: nothing is
extracted. cosign, Notary Project, attestation and bundle signatures are found exactly as in a
registry; referrers are found by their subject. Images are reported as oci:<path>:<tag>.
A skopeo dir: layout (skopeo copy … dir:DIR) is one image whose simple signatures (signature-N)
are verified with --gpg-keyring; the directory has no name, so give --signed-identity with the
reference the signatures must claim (as skopeo standalone-verify takes it).
Legacy docker save archives (manifest.json without index.json, Docker < 25 and skopeo
docker-archive:) hold no registry manifest: each image is reported as
docker-archive:<path>:<name:tag> with status unknown (DIGEST_UNKNOWABLE), since the digest a
push would give it depends on the layers' compression.

${EXIT_CODES_HELP}`;

  static override examples = [
    {
      description: 'A layout made by skopeo',
      command: '<%= config.bin %> layout ./app-layout --key cosign.pub',
    },
    { description: 'An OCI archive', command: '<%= config.bin %> layout app.tar -o json' },
    {
      description: 'A skopeo dir: layout with simple signatures',
      command:
        '<%= config.bin %> layout ./app-dir --gpg-keyring signer.gpg --signed-identity registry.example/app:v1',
    },
  ];

  static override strict = false;
  static override usage = 'layout [FLAGS] PATH...';
  static override args = {
    path: Args.string({ required: true, description: 'layout directories or tarballs' }),
  };
  static override flags = grouped({ ...outputFlags, ...trustFlags, ...pluginFlags });

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Layout);
    const { runLayoutScan } = await import('../scan/run.js');
    await runScanCommand(this, 'layout', flags, (common) =>
      runLayoutScan({ ...common, paths: argv as string[] }),
    );
  }
}
