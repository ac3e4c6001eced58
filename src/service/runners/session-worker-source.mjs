// Worker entry when Parzen runs from its TypeScript sources (tests, `npm run parzen`):
// registers the tsx loader in this thread, then loads the real worker module.
// Compiled builds (`npm start`) start session-worker.js directly and never use
// this file, which is why tsx is a devDependency.
import { register } from "tsx/esm/api";

register();
await import(new URL("./session-worker.ts", import.meta.url).href);
