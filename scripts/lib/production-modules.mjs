// Prints the installed packages the server needs at run time (package-lock.json entries that are neither dev-only
// nor workspace links), one node_modules/... path a line: what `npm install --omit=dev` would put beside the
// packed server. scripts/image.sh copies these from the checkout's node_modules into the image, so the image build
// runs no npm and reaches no registry. Optional packages not installed here (other platforms) are left out.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? ".";
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
for (const [path, entry] of Object.entries(lock.packages)) {
  if (!path.startsWith("node_modules/") || entry.dev || entry.link) continue;
  // A package nested under one of the above is copied with it.
  const outer = path.split("/node_modules/").length > 1;
  if (outer) continue;
  if (existsSync(join(root, path))) console.log(path);
}
