export {
  type AedesBroker,
  type AedesStartOptions,
  type AedesTlsOptions,
  startAedes,
} from "./aedes.ts";
export { concat, fromHex, hex, text, utf8 } from "./bytes.ts";
export { type CertSet, generateCerts } from "./certs.ts";
export {
  type Deferred,
  deferred,
  type Settled,
  settle,
  TimeoutError,
  waitFor,
  withTimeout,
} from "./deferred.ts";
export { type Dynsec, type DynsecOptions, dynsecConfig, dynsecPluginPath } from "./dynsec.ts";
export {
  type FrameBridge,
  type FrameBridgeOptions,
  type FrameRecord,
  type FrameShape,
  startFrameBridge,
} from "./frame-bridge.ts";
export {
  type AckPacket,
  type Bytes,
  type ConnackPacket,
  type ConnectPacket,
  connack,
  type DisconnectPacket,
  disconnect,
  type EmptyPacket,
  encodeLength,
  type Frame,
  FrameError,
  FrameReader,
  frame,
  frameOf,
  PacketType,
  type PacketTypeName,
  type ProtocolLevel,
  type PublishOptions,
  type PublishPacket,
  parsePacket,
  pingresp,
  puback,
  pubcomp,
  publish,
  pubrec,
  pubrel,
  type SubackPacket,
  type SubscribePacket,
  suback,
  type UnsubackPacket,
  type UnsubscribePacket,
  unsuback,
  type WirePacket,
  type WirePacketOf,
} from "./frames.ts";
export { gc, heapInUse } from "./heap.ts";
export {
  MemoryConnection,
  MemoryServer,
  type Transport,
  type TransportEvents,
  type TransportFactory,
} from "./memory-transport.ts";
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
export { prng } from "./prng.ts";
export {
  type FaultProxy,
  type FaultProxyOptions,
  startFaultProxy,
  type TapDirection,
  type TapPacket,
  type TapRecord,
} from "./proxy.ts";
export {
  ensureRabbitMQ,
  type RabbitMQ,
  type RabbitMQNode,
  type RabbitMQStartOptions,
  rabbitmqAvailable,
  rabbitmqPath,
  startRabbitMQ,
} from "./rabbitmq.ts";
export {
  type AutoAnswer,
  ScriptedBroker,
  type ScriptedBrokerOptions,
  ScriptedLink,
  UnexpectedPacketError,
} from "./scripted-broker.ts";
export { turns } from "./turns.ts";
