// The page's script: the smoke suite, bundled with the built packages for the browser.
import { runSmoke } from "./smoke.mjs";

globalThis.runSmoke = runSmoke;
