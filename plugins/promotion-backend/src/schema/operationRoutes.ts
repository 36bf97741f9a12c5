import { HttpAuthService } from '@backstage/backend-plugin-api';
import {
  PromotionApiOperation,
  PromotionApiOperationId,
  promotionApiOperations,
  PromotionApiRequestInput,
} from '@promotion/plugin-promotion-common';
import { Request, Response, Router } from 'express';
import { z } from 'zod';
import { CallContext } from '../service/callContext';
import { parseInput } from './parseInput';

/*
 * Registers the operations of the contract table (`promotionApiOperations`)
 * on a router: each at its method and path, behind the authentication its
 * access asks for, with its path parameters, query and body validated by its
 * zod schemas, in that order, before its handler runs. A handler gets the
 * validated input and a response typed by the operation's response schemas.
 */

type Operations = typeof promotionApiOperations;

type Responses<K extends PromotionApiOperationId> = Operations[K]['responses'];

/** What a handler may send: the JSON of a response schema, or text for a non-JSON content type. */
export type OperationResponseBody<K extends PromotionApiOperationId> = {
  [S in keyof Responses<K>]: Responses<K>[S] extends {
    schema: infer T extends z.ZodType;
  }
    ?
        | z.output<T>
        | (Responses<K>[S] extends { contentTypes: string[] } ? string : never)
    : unknown;
}[keyof Responses<K>];

/** The validated input of an operation, with the caller for non-public ones. */
export type OperationInput<K extends PromotionApiOperationId> =
  PromotionApiRequestInput<K> &
    (Operations[K]['access'] extends 'public' ? {} : { ctx: CallContext });

export type OperationHandler<K extends PromotionApiOperationId> = (
  input: OperationInput<K>,
  res: Response<OperationResponseBody<K>>,
) => void | Promise<void>;

/** One handler per operation of the contract: no more, no fewer. */
export type OperationHandlers = {
  [K in PromotionApiOperationId]: OperationHandler<K>;
};

export function addOperationRoutes(
  router: Router,
  handlers: OperationHandlers,
  options: { httpAuth: HttpAuthService },
): void {
  const { httpAuth } = options;

  const callContext = async (
    req: Request,
    operation: PromotionApiOperation,
  ): Promise<CallContext | undefined> => {
    if (operation.access === 'public') {
      return undefined;
    }
    return {
      credentials: await httpAuth.credentials(req, {
        allow:
          operation.access === 'user-or-service'
            ? ['user', 'service']
            : ['user'],
      }),
      request: req,
    };
  };

  const entries = Object.entries(promotionApiOperations) as Array<
    [PromotionApiOperationId, PromotionApiOperation]
  >;
  for (const [operationId, operation] of entries) {
    const handler = handlers[operationId] as (
      input: unknown,
      res: Response,
    ) => void | Promise<void>;
    router[operation.method](operation.path, async (req, res) => {
      const ctx = await callContext(req, operation);
      const input = {
        ...(ctx && { ctx }),
        params: operation.params
          ? parseInput(operation.params, req.params, 'path')
          : undefined,
        query: operation.query
          ? parseInput(operation.query, req.query, 'query')
          : undefined,
        body: operation.body
          ? parseInput(operation.body, req.body, 'body')
          : undefined,
      };
      await handler(input, res);
    });
  }
}
