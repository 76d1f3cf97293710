export * from './errors';
export { mergeItems, refusedReservation, release, releasedItems, type Release, type SkuForOrder } from './rules';
