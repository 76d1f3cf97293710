import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SagaStatus, ShippingAddress } from './types';

/** The saga's message names, shared by the workflow and its clients (API, CLI users, tests). */
export const approveSignal = defineSignal<[{ by?: string }?]>('approve');
export const rejectSignal = defineSignal<[{ by?: string; reason?: string }?]>('reject');
export const statusQuery = defineQuery<SagaStatus>('status');
export const updateShippingAddressUpdate = defineUpdate<SagaStatus, [ShippingAddress]>('updateShippingAddress');
