/**
 * Synthesizes the policy state machine definition (`loadPolicyDefinition` of local/policy-definition.ts, from the CDK stack) in a
 * child process. CDK synthesis loads aws-cdk-lib, a few hundred MB that the local runtime only needs
 * for a moment: in a child process that memory is returned when it exits, and synthesis overlaps the
 * start of the emulators.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadPolicyDefinition, type StateMachineDefinitionJson } from './policy-definition.js';

const self = fileURLToPath(import.meta.url);

export function synthesizeInChildProcess(): Promise<StateMachineDefinitionJson> {
  // From TypeScript (tsx, vitest) the child needs tsx's loader.
  const args = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 64 * 1024 * 1024, env: process.env }, (error, stdout, stderr) => {
      if (error !== null) {
        reject(new Error(`policy definition synthesis failed: ${stderr.trim().split('\n').pop() ?? error.message}`));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as StateMachineDefinitionJson);
      } catch (e: unknown) {
        reject(new Error(`policy definition synthesis printed no definition (${e instanceof Error ? e.message : String(e)})`));
      }
    });
  });
}

if (process.argv[1] === self) {
  process.stdout.write(JSON.stringify(loadPolicyDefinition()));
}
