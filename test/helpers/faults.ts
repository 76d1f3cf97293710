import type { ApiClient, paths } from '../../api/client';

export type FaultService = paths['/faults/{service}']['put']['parameters']['path']['service'];
export type FaultSpec = NonNullable<paths['/faults/{service}']['put']['requestBody']>['content']['application/json'];

/** A fault as GET /faults lists it. */
export interface InjectedFault {
  _id: string;
  failures?: number;
  [key: string]: unknown;
}

/**
 * Fault injection through the typed client. `inject` and `clear` give the client's whole answer,
 * so a test asserts on `response.status` where it cares.
 */
export function faultsOf(api: ApiClient) {
  return {
    inject: (service: FaultService, spec: FaultSpec) =>
      api.PUT('/faults/{service}', { params: { path: { service } }, body: spec }),
    clear: (service: FaultService) => api.DELETE('/faults/{service}', { params: { path: { service } } }),
    /** The body of GET /faults. The contract leaves that answer's body undescribed, hence the cast. */
    async listed(): Promise<{ faults: InjectedFault[] }> {
      const { data, response } = await api.GET('/faults');
      if (!response.ok) throw new Error(`GET /faults answered ${response.status}`);
      return data as unknown as { faults: InjectedFault[] };
    },
  };
}
