// Child process of crash.test.ts: saves investigations in a loop, printing "<id> <seed> <count>"
// after each save returns, until it is killed. Content derives from the seed, so the test can
// rebuild what each saved investigation must hold.
//
//   node --conditions=react-server --import tsx server/investigations/testing/save-loop.ts <first-seed> sqlite <data-dir>
//   node --conditions=react-server --import tsx server/investigations/testing/save-loop.ts <first-seed> postgres <url>
import { openInvestigationStore } from "../index";
import { crashFlowCount } from "./crash-plan";
import { flowLines, newInvestigation } from "./fixtures";

async function main(): Promise<never> {
  const [firstSeed, kind, where] = process.argv.slice(2);
  const store = await openInvestigationStore(kind === "postgres" ? { dataDir: "unused", databaseUrl: where } : { dataDir: where, databaseUrl: null });
  for (let seed = Number(firstSeed); ; seed++) {
    const count = crashFlowCount(seed);
    const saved = await store.save(newInvestigation({ title: `crash ${seed}`, flows: flowLines(seed, count) }));
    // Pipes are written synchronously on Linux: once this returns the parent has the line.
    process.stdout.write(`${saved.id} ${seed} ${count}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`save-loop: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
