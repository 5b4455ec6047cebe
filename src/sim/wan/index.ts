/** WAN impairment for the fleet simulator: profiles, links, and the transports that apply them. */
export { PROFILES, parseProfile, type ProfileName, type WanProfile } from './profile.js';
export { seededRandom, type Random } from './random.js';
export { WanLink, type LostLeg, type WanLinkOptions } from './link-state.js';
export { LinkDownError, LinkLossError, impairedFetch, type ExchangeSizes, type ImpairedFetch, type ImpairedFetchOptions } from './impaired-fetch.js';
export { ImpairmentProxy, type ImpairmentProxyOptions, type ProxyStats } from './proxy.js';
