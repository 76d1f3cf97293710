import { dataOf, type Answer, type ApiClient } from '../../api/client';

type DeadLetter = Answer<'/dead-letters', 'get', 200>['deadLetters'][number];

/**
 * The open dead letter of a projection that parked the event at `position`, if there is one yet.
 * The contract leaves a letter's input free-form; a projection's holds the event's position.
 */
export async function openProjectionLetterAt(api: ApiClient, position: number): Promise<DeadLetter | undefined> {
  const { deadLetters } = await dataOf(
    api.GET('/dead-letters', { params: { query: { source: 'projection', status: 'open' } } }),
  );
  return deadLetters.find((d) => (d.input as { position?: number } | undefined)?.position === position);
}
