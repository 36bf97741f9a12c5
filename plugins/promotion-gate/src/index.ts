/**
 * promotion-gate: the Promotion gate for CI/CD pipelines.
 *
 * @packageDocumentation
 */
import { Command, CommanderError, Option } from 'commander';
import { GateClient, GateCliError, parseFlowRef } from './client';
import {
  attest,
  check,
  EXIT_ERROR,
  EXIT_UNAVAILABLE,
  Output,
  parseDuration,
  report,
  rollback,
  wait,
} from './commands';

export { GateClient, GateCliError, parseFlowRef } from './client';
export type { GateResult, GateCondition, FlowRef } from './client';

export interface RunOptions {
  env?: Record<string, string | undefined>;
  io?: Output;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

const defaultIo: Output = {
  out: line => process.stdout.write(`${line}\n`),
  err: line => process.stderr.write(`${line}\n`),
};

/** Runs the CLI with `argv` (as process.argv) and resolves to the exit code. */
export async function run(
  argv: string[],
  options: RunOptions = {},
): Promise<number> {
  const env = options.env ?? process.env;
  const io = options.io ?? defaultIo;
  let exitCode = EXIT_ERROR;

  const program = new Command('promotion-gate')
    .description(
      'Ask the Promotion gate before deploying, report deployments and rollbacks, and attest checklist items.\n' +
        'Exit codes: 0 open / recorded, 1 closed (or rejected, or timed out), 2 error,\n' +
        '3 the backend is unavailable (503, after 3 retries): try again later.',
    )
    .exitOverride()
    .configureOutput({
      writeOut: s => io.out(s.trimEnd()),
      writeErr: s => io.err(s.trimEnd()),
    })
    .addOption(
      new Option(
        '--url <url>',
        'Backstage backend base URL (env PROMOTION_URL)',
      )
        .default(env.PROMOTION_URL)
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--token <token>',
        'pipeline token from backend.auth.externalAccess (env PROMOTION_TOKEN)',
      )
        .default(env.PROMOTION_TOKEN)
        .makeOptionMandatory(),
    );

  const client = () => {
    const { url, token } = program.opts<{ url: string; token: string }>();
    return new GateClient({
      url,
      token,
      fetch: options.fetch,
      sleep: options.sleep,
    });
  };
  const flowOption = () =>
    new Option(
      '--flow <ref>',
      'the flow: a catalog entity ref, e.g. component:default/payments-export',
    ).makeOptionMandatory();
  const environmentOption = () =>
    new Option(
      '--environment <id>',
      'target environment id, e.g. production',
    ).makeOptionMandatory();
  const versionOption = () =>
    new Option(
      '--version <version>',
      'the version to deploy',
    ).makeOptionMandatory();

  program
    .command('check')
    .description(
      'May this version of the flow enter the environment? Exit 0 open, 1 closed, 4 closed by a freeze window.',
    )
    .addOption(flowOption())
    .addOption(environmentOption())
    .addOption(versionOption())
    .option('--json', 'print the gate result as JSON')
    .action(async opts => {
      exitCode = await check(
        client(),
        parseFlowRef(opts.flow),
        opts.environment,
        opts.version,
        io,
        opts.json,
      );
    });

  program
    .command('wait')
    .description(
      'Poll the gate until it opens, the request is rejected, or the timeout passes.',
    )
    .addOption(flowOption())
    .addOption(environmentOption())
    .addOption(versionOption())
    .option(
      '--timeout <duration>',
      'give up after this long (e.g. 30m, 2h)',
      '30m',
    )
    .option('--interval <duration>', 'time between checks', '30s')
    .action(async opts => {
      exitCode = await wait(
        client(),
        parseFlowRef(opts.flow),
        opts.environment,
        opts.version,
        io,
        {
          timeoutMs: parseDuration(opts.timeout, '--timeout'),
          intervalMs: parseDuration(opts.interval, '--interval'),
          sleep: options.sleep,
        },
      );
    });

  program
    .command('report')
    .description(
      'Record a deployment. A deployment into a closed gate is recorded as a violation.',
    )
    .addOption(flowOption())
    .addOption(environmentOption())
    .addOption(versionOption())
    .addOption(
      new Option('--status <status>', 'deployment result')
        .choices(['succeeded', 'failed'])
        .makeOptionMandatory(),
    )
    .option('--link <url>', 'link to the pipeline run or release')
    .option(
      '--idempotency-key <key>',
      'a key unique to this deployment (e.g. the CI run id); reporting it again is a no-op',
    )
    .action(async opts => {
      exitCode = await report(
        client(),
        parseFlowRef(opts.flow),
        {
          environment: opts.environment,
          version: opts.version,
          status: opts.status,
          link: opts.link,
          idempotencyKey: opts.idempotencyKey,
        },
        io,
      );
    });

  program
    .command('attest')
    .description(
      'Attest a checklist item the pipeline completes (attestedBy: pipeline or both), with its evidence.',
    )
    .addOption(flowOption())
    .addOption(environmentOption())
    .addOption(
      new Option(
        '--item <id>',
        'the checklist item id, e.g. tests-passing',
      ).makeOptionMandatory(),
    )
    .option(
      '--version <version>',
      'the version (required for version-scoped and post-deployment items, none for flow-scoped items)',
    )
    .addOption(
      new Option(
        '--evidence <url>',
        'link to the evidence: the test report, the pipeline run',
      ).makeOptionMandatory(),
    )
    .option(
      '--result <text>',
      'a short result, e.g. "All tests passing — 1,284 passed"',
    )
    .option(
      '--post-deployment',
      "the item is on the environment's post-deployment checklist",
    )
    .action(async opts => {
      exitCode = await attest(
        client(),
        parseFlowRef(opts.flow),
        {
          environment: opts.environment,
          kind: opts.postDeployment ? 'post-deployment' : 'validation',
          itemId: opts.item,
        },
        {
          version: opts.version,
          evidenceLink: opts.evidence,
          result: opts.result,
        },
        io,
      );
    });

  program
    .command('rollback')
    .description(
      'Record a rollback; it revokes the standing approval of the environment.',
    )
    .addOption(flowOption())
    .addOption(environmentOption())
    .addOption(new Option('--reason <text>', 'why').makeOptionMandatory())
    .option(
      '--from-version <version>',
      'the version reverted (default: the current one)',
    )
    .option('--to-version <version>', 'the previous working version')
    .option('--incident-link <url>', 'link to the incident report')
    .action(async opts => {
      exitCode = await rollback(
        client(),
        parseFlowRef(opts.flow),
        {
          environment: opts.environment,
          reason: opts.reason,
          fromVersion: opts.fromVersion,
          toVersion: opts.toVersion,
          incidentLink: opts.incidentLink,
        },
        io,
      );
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_ERROR;
    }
    if (error instanceof GateCliError) {
      io.err(`promotion-gate: ${error.message}`);
      return error.status === 503 ? EXIT_UNAVAILABLE : EXIT_ERROR;
    }
    io.err(
      `promotion-gate: unexpected error: ${(error as Error).stack ?? error}`,
    );
    return EXIT_ERROR;
  }
}

/** The bin's entry point. */
export function main(argv: string[]): void {
  run(argv).then(code => process.exit(code));
}
