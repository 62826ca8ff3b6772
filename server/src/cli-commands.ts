import type { Services } from './bootstrap.js';
import { demoSeedCommand, ingestCommand } from './modules/demo/demo.cli.js';

/** Commands contributed by domain modules (demo seed, ingest…), listed in the CLI help. */
export interface CliCommand {
  name: string;
  sub?: string;
  usage: string;
  run(args: string[], ctx: { withServices<T>(fn: (s: Services) => Promise<T>): Promise<T> }): Promise<void>;
}

export const cliCommands: CliCommand[] = [demoSeedCommand, ingestCommand];
