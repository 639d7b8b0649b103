/**
 * Yoga reads `variables` and `extensions` of a GET query string (or a urlencoded
 * form) with a bare JSON.parse, so a malformed value escaped as a SyntaxError and
 * was masked to InternalError (500). Here it is the client's mistake: InvalidInput.
 */
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';

export function useRequestParamErrors(): Plugin {
  return {
    onRequestParse({ requestParser, setRequestParser }) {
      if (!requestParser) return;
      setRequestParser(async (request) => {
        try {
          return await requestParser(request);
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          // A GraphQL error of the request itself: the transport plugin envelopes it as InvalidInput.
          throw new GraphQLError('The variables or extensions parameter is not valid JSON.');
        }
      });
    },
  };
}
