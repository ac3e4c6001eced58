// Run by scripts/test-install.sh from a fresh npm project outside the repository, where `npm install
// <checkout>/clients/ts` installed @parzen/client: a tiny ask-tell loop against the server at PARZEN_ADDRESS.
import { ParzenClient, uniform, int } from "@parzen/client";

const client = await ParzenClient.connect(process.env.PARZEN_ADDRESS);
const exp = await client.createExperiment({ name: "install-ts", space: [uniform("x", -5, 5), int("k", 1, 4)] });
for (let i = 0; i < 6; i++) {
  const t = await exp.suggest();
  await t.report((t.params.x - 1) ** 2 + t.params.k);
}
const best = await exp.best();
if (best === undefined || typeof best.loss !== "number") throw new Error("no best trial after 6 reports");
console.log(`ts: 6 trials, best loss ${best.loss.toFixed(3)}`);
client.close();
