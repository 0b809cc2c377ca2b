export {
  type AedesBroker,
  type AedesStartOptions,
  type AedesTlsOptions,
  startAedes,
} from "./aedes.ts";
export { type CertSet, generateCerts } from "./certs.ts";
export { type Deferred, deferred, TimeoutError, waitFor, withTimeout } from "./deferred.ts";
export {
  type FrameBridge,
  type FrameBridgeOptions,
  type FrameRecord,
  type FrameShape,
  startFrameBridge,
} from "./frame-bridge.ts";
export {
  ensureMosquitto,
  type Mosquitto,
  type MosquittoStartOptions,
  type MosquittoTlsOptions,
  mosquittoAvailable,
  mosquittoPath,
  startMosquitto,
} from "./mosquitto.ts";
export { freePort, waitForPort } from "./ports.ts";
export {
  type FaultProxy,
  type FaultProxyOptions,
  startFaultProxy,
  type TapDirection,
  type TapRecord,
} from "./proxy.ts";
