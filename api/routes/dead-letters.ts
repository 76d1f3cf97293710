import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { sagaSettings } from '../../config/saga';
import type { Config } from '../../config';
import { Router } from 'express';
import type { Db } from 'mongodb';
import { deadLetterCollection, type DeadLetterDocument } from '../../infra/dead-letters';
import { HttpError, notFound } from '../errors';
import { isCompensationStep } from '../../domain/orders';
import { parse } from '../validate';
import { deadLetterParams, deadLetterQuery } from '../contract';
import { actorOf } from '../auth';
import { policedRouter, type PoliceDeps } from '../policed-router';
import { WORKFLOW_NAMES, type RedriveCompensationWorkflow } from '../../workflows/client';

/**
 * Dead letters from every source (saga steps and compensations, projections), with `source`.
 * Projection dead letters are redriven or discarded by the projector in its own loop (202: the
 * request is recorded, the status changes when it is carried out). Every operator action is kept
 * in the audit log.
 */
export function deadLetterRoutes(deps: { police: PoliceDeps; db: Db; client: Client; config: Config }): Router {
  const router = policedRouter(deps.police);
  const deadLetters = deadLetterCollection(deps.db);
  const audit = deps.db.collection('audit_log');

  const view = ({ _id, ...rest }: DeadLetterDocument) => ({ id: _id, ...rest });

  async function openLetter(id: string): Promise<DeadLetterDocument> {
    const letter = await deadLetters.findOne({ _id: id });
    if (!letter) throw notFound(`Dead letter ${id}`);
    if (letter.status !== 'open') throw new HttpError(409, 'invalid_state', `Dead letter ${id} is ${letter.status}`);
    return letter;
  }

  router.get('/dead-letters', async (req, res) => {
    const q = parse(deadLetterQuery, req.query, 'query');
    const filter = {
      ...(q.source && { source: q.source }),
      ...(q.status && { status: q.status }),
      ...(q.orderId && { orderId: q.orderId }),
    };
    const docs = await deadLetters.find(filter).sort({ createdAt: -1 }).limit(q.limit).toArray();
    res.json({ deadLetters: docs.map(view) });
  });

  router.get('/dead-letters/:id', async (req, res) => {
    const { id } = parse(deadLetterParams, req.params, 'params');
    const letter = await deadLetters.findOne({ _id: id });
    if (!letter) throw notFound(`Dead letter ${id}`);
    res.json(view(letter));
  });

  router.post('/dead-letters/:id/redrive', async (req, res) => {
    const { id } = parse(deadLetterParams, req.params, 'params');
    const letter = await openLetter(id);
    if (letter.source === 'saga' && letter.kind === 'compensation') {
      // Run the compensation again in a small workflow, so the redrive itself is durable and
      // retried. Its id names the letter and how many redrives failed before, so a repeated request
      // starts nothing new; the workflow claims the letter itself (no claim left idle by a crash).
      const attempt = (letter as { redriveAttempts?: number }).redriveAttempts ?? 0;
      const { step, input } = letter;
      // Written by the saga itself; a letter that does not name a compensation with its arguments cannot be redriven.
      if (!isCompensationStep(step) || typeof input !== 'object' || input === null)
        throw new HttpError(409, 'not_redrivable', `Dead letter ${id} does not name a compensation with its arguments`);
      try {
        await deps.client.workflow.start<RedriveCompensationWorkflow>(WORKFLOW_NAMES.redriveCompensation, {
          workflowId: `redrive-${createHash('sha256').update(id).digest('hex').slice(0, 24)}-${attempt}`,
          taskQueue: deps.config.TASK_QUEUE,
          args: [id, step, input, sagaSettings(deps.config).compensationPolicy],
        });
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      }
      await audit.insertOne({
        _id: randomUUID() as never,
        action: 'redrive-dead-letter',
        deadLetterId: id,
        at: new Date(),
        by: actorOf(res),
      });
      res.status(202).json({ id, status: 'redrive-requested' });
      return;
    }
    if (letter.source !== 'projection') {
      throw new HttpError(
        409,
        'not_redrivable',
        'This saga step already failed and the saga compensated; place the order again, or discard the dead letter once investigated',
      );
    }
    const updated = await deadLetters.updateOne({ _id: id, status: 'open' }, { $set: { status: 'redrive-requested' } });
    if (updated.modifiedCount === 0) throw new HttpError(409, 'invalid_state', `Dead letter ${id} changed meanwhile`);
    await audit.insertOne({
      _id: randomUUID() as never,
      action: 'redrive-dead-letter',
      deadLetterId: id,
      at: new Date(),
      by: actorOf(res),
    });
    res.status(202).json({ id, status: 'redrive-requested' });
  });

  router.delete('/dead-letters/:id', async (req, res) => {
    const { id } = parse(deadLetterParams, req.params, 'params');
    const letter = await openLetter(id);
    // A projection's dead letter holds back its stream: the projector discards it and releases what waited.
    const status = letter.source === 'projection' ? 'discard-requested' : 'discarded';
    const updated = await deadLetters.updateOne(
      { _id: id, status: 'open' },
      { $set: { status, ...(status === 'discarded' && { resolvedAt: new Date() }) } },
    );
    if (updated.modifiedCount === 0) throw new HttpError(409, 'invalid_state', `Dead letter ${id} changed meanwhile`);
    await audit.insertOne({
      _id: randomUUID() as never,
      action: 'discard-dead-letter',
      deadLetterId: id,
      source: letter.source,
      at: new Date(),
      by: actorOf(res),
    });
    res.status(202).json({ id, status });
  });

  return router;
}
